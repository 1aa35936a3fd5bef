using System.Globalization;
using System.Text.RegularExpressions;
using Coordinator.Workflows.Expressions;
using YamlDotNet.RepresentationModel;

namespace Coordinator.Workflows.Definitions;

/// <summary>
/// Reads YamlDotNet's representation model with positions: every problem becomes a
/// <see cref="ValidationError"/> at the node's mark, and reading goes on so that every error in a
/// file is reported at once.
/// </summary>
internal sealed partial class YamlReader(string file, List<ValidationError> errors)
{
    public string File { get; } = file;

    public void Error(YamlNode node, string path, string problem, string fix)
        => errors.Add(new ValidationError(File, (int)node.Start.Line, (int)node.Start.Column, path, problem, fix));

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>Reads a mapping, reporting fields not in <paramref name="allowed"/>.</summary>
    public Map? Map(YamlNode? node, string path, params string[] allowed)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping of {string.Join(", ", allowed)}", "indent the fields under it as key: value lines");
            return null;
        }

        foreach (var key in mapping.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                var near = allowed.FirstOrDefault(a => Similar(a, name));
                Error(key, Join(path, name), $"unknown field '{name}'", near is not null ? $"did you mean '{near}'?" : $"allowed here: {string.Join(", ", allowed)}");
            }
        }

        return new Map(this, mapping, path);
    }

    public IReadOnlyList<(YamlNode Node, string Path)> List(YamlNode? node, string path)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            Error(node, path, "expected a list", "write each item on its own line starting with '- '");
            return [];
        }

        return [.. sequence.Children.Select((n, i) => (n, $"{path}[{i}]"))];
    }

    private static bool Similar(string a, string b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return false;
        }

        var common = a.Zip(b).TakeWhile(p => p.First == p.Second).Count();
        return common >= Math.Min(3, Math.Min(a.Length, b.Length)) || string.Equals(a.Replace("-", "", StringComparison.Ordinal), b.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    public string? Scalar(YamlNode node, string path)
    {
        if (node is YamlScalarNode s)
        {
            return s.Value ?? "";
        }

        Error(node, path, "expected a single value", "write a value after the colon, not a list or a mapping");
        return null;
    }

    public static TimeSpan? ParseDuration(string text)
    {
        var m = DurationPattern().Match(text);
        if (!m.Success || text.Length == 0)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Capture c in m.Groups["part"].Captures)
        {
            var unit = c.Value[^1];
            var n = long.Parse(c.Value[..^1], CultureInfo.InvariantCulture);
            total += unit switch
            {
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }

        return total;
    }

    public static string DurationHint(string text)
    {
        var m = DurationHintPattern().Match(text.Trim());
        if (!m.Success)
        {
            return "write a duration such as 30m, 4h, 2d or 1h30m";
        }

        var unit = m.Groups["unit"].Value.ToUpperInvariant() switch
        {
            var u when u.StartsWith("MO", StringComparison.Ordinal) => "d",
            var u when u.StartsWith('D') => "d",
            var u when u.StartsWith('H') => "h",
            var u when u.StartsWith('M') => "m",
            var u when u.StartsWith('S') => "s",
            _ => "m",
        };
        return $"write {m.Groups["n"].Value}{unit}";
    }

    [GeneratedRegex("^(?<part>[0-9]{1,6}[dhms])+$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex("^(?<n>[0-9]+)\\s*(?<unit>[A-Za-z]*)")]
    private static partial Regex DurationHintPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex IdPattern();
}

/// <summary>A mapping being read.</summary>
internal sealed class Map(YamlReader reader, YamlMappingNode node, string path)
{
    public YamlMappingNode Node { get; } = node;

    public string Path { get; } = path;

    public YamlReader Reader { get; } = reader;

    public string PathOf(string key) => YamlReader.Join(Path, key);

    public YamlNode? Get(string key) => Node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public YamlNode KeyNode(string key) => Node.Children.Keys.FirstOrDefault(k => (k as YamlScalarNode)?.Value == key) ?? Node;

    public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries
        => Node.Children.Select(p => ((p.Key as YamlScalarNode)?.Value ?? "", p.Key, p.Value));

    private void Missing(string key, string fix) => Reader.Error(Node, PathOf(key), $"'{key}' is required", fix);

    public string? Text(string key, bool required = true, string? fix = null)
    {
        var value = Get(key);
        if (value is null)
        {
            if (required)
            {
                Missing(key, fix ?? $"add {key}: <value>");
            }

            return null;
        }

        var text = Reader.Scalar(value, PathOf(key));
        if (text is not null && required && text.Trim().Length == 0)
        {
            Reader.Error(value, PathOf(key), $"'{key}' is empty", fix ?? $"write a value for {key}");
            return null;
        }

        return text;
    }

    public string? Id(string key)
    {
        var text = Text(key, fix: $"add {key}: <letters, digits, '-', '_' or '.'>");
        if (text is not null && !YamlReader.IdPattern().IsMatch(text))
        {
            Reader.Error(Get(key)!, PathOf(key), $"\"{text}\" is not a valid id", "use letters, digits, '-', '_' and '.', at most 64 characters");
            return null;
        }

        return text;
    }

    public int? Int(string key, bool required = true)
    {
        var text = Text(key, required);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            return n;
        }

        Reader.Error(Get(key)!, PathOf(key), $"\"{text}\" is not a positive whole number", $"write {key}: 1");
        return null;
    }

    public decimal? Number(string key, bool required = true, decimal min = decimal.MinValue, decimal max = decimal.MaxValue)
    {
        var text = Text(key, required);
        if (text is null)
        {
            return null;
        }

        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d))
        {
            if (d < min || d > max)
            {
                Reader.Error(Get(key)!, PathOf(key), $"{text} is out of range", max == decimal.MaxValue ? $"write a number of at least {min}" : $"write a number between {min} and {max}");
                return null;
            }

            return d;
        }

        Reader.Error(Get(key)!, PathOf(key), $"\"{text}\" is not a number", "write digits with an optional decimal point, e.g. 0.85 or 500");
        return null;
    }

    public bool? Bool(string key)
    {
        var text = Text(key, required: false);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text, out var b))
        {
            return b;
        }

        Reader.Error(Get(key)!, PathOf(key), $"\"{text}\" is not true or false", $"write {key}: true");
        return null;
    }

    public TimeSpan? Duration(string key, bool required = true)
    {
        var text = Text(key, required, "add a duration such as 30m, 4h or 2d");
        if (text is null)
        {
            return null;
        }

        if (YamlReader.ParseDuration(text.Trim()) is { } d && d > TimeSpan.Zero)
        {
            return d;
        }

        Reader.Error(Get(key)!, PathOf(key), $"\"{text}\" is not a duration", YamlReader.DurationHint(text));
        return null;
    }

    public T? Enum<T>(string key, IReadOnlyDictionary<string, T> names, bool required = true)
        where T : struct
    {
        var text = Text(key, required);
        if (text is null)
        {
            return null;
        }

        if (names.TryGetValue(text, out var value))
        {
            return value;
        }

        Reader.Error(Get(key)!, PathOf(key), $"\"{text}\" is not one of {string.Join(", ", names.Keys)}", $"write one of {string.Join(", ", names.Keys)}");
        return null;
    }

    public CompiledExpression? Expression(string key, ExpressionScope scope, ValueKind? kind, bool required = true)
    {
        var text = Text(key, required, kind == ValueKind.Bool ? "add a condition such as [record.amount] > 100" : "add an expression such as [record.id]");
        return text is null ? null : Reader.Compile(Get(key)!, PathOf(key), text, scope, kind);
    }

    public ValueKind? Kind(YamlNode node, string path)
    {
        var text = Reader.Scalar(node, path);
        return text switch
        {
            null => null,
            "number" => ValueKind.Number,
            "text" or "string" => ValueKind.Text,
            "bool" or "boolean" => ValueKind.Bool,
            _ => Fail(),
        };

        ValueKind? Fail()
        {
            Reader.Error(node, path, $"\"{text}\" is not a field type", "write number, text or bool");
            return null;
        }
    }
}

internal static class YamlReaderExtensions
{
    public static CompiledExpression? Compile(this YamlReader reader, YamlNode node, string path, string text, ExpressionScope scope, ValueKind? kind)
    {
        var result = ExpressionCompiler.Compile(text, scope, kind);
        if (result.Expression is null)
        {
            reader.Error(node, path, result.Problem!, result.Fix!);
        }

        return result.Expression;
    }
}
