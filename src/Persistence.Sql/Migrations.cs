using System.Text.RegularExpressions;

namespace Coordinator.Persistence.Sql;

/// <summary>A versioned schema script shipped in this assembly: <c>V0001__description.sql</c>.</summary>
/// <param name="Version">Its version; scripts apply in this order, once each.</param>
/// <param name="Description">From its file name.</param>
/// <param name="Sql">Its text, with <c>{schema}</c> to substitute.</param>
internal sealed record Migration(int Version, string Description, string Sql)
{
    public static IReadOnlyList<Migration> Load(string folder)
    {
        var assembly = typeof(Migration).Assembly;
        var prefix = $"{assembly.GetName().Name}.{folder}.Migrations.";
        var pattern = new Regex(@"^V(\d+)__(.+)\.sql$", RegexOptions.CultureInvariant);
        var migrations = new List<Migration>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = name[prefix.Length..];
            var match = pattern.Match(file);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Migration resource '{file}' is not named V<version>__<description>.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value.Replace('_', ' '), reader.ReadToEnd()));
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }
}
