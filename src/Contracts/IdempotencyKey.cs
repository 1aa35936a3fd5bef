using System.Globalization;
using System.Text;

namespace Coordinator.Contracts;

/// <summary>
/// Builds and reads idempotency keys: <c>{entity}/{event id}/{step}</c>, with <c>#n</c> for an
/// operator's n-th try. Each part is escaped (<c>%</c> → <c>%25</c>, <c>/</c> → <c>%2F</c>,
/// <c>#</c> → <c>%23</c>), so distinct parts always give distinct keys (entity <c>a/b</c> with
/// event <c>c</c> is <c>a%2Fb/c/…</c>, entity <c>a</c> with event <c>b/c</c> is <c>a/b%2Fc/…</c>),
/// and a key without those characters reads as it always did.
/// </summary>
public static class IdempotencyKey
{
    /// <summary>The key of <paramref name="step"/>, run for event <paramref name="eventId"/> of entity <paramref name="entityId"/>; <paramref name="revision"/> above 1 is an operator's n-th try.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="revision"/> is below 1.</exception>
    public static string Compose(string entityId, string eventId, string step, int revision = 1)
    {
        ArgumentNullException.ThrowIfNull(entityId);
        ArgumentNullException.ThrowIfNull(eventId);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(revision, 1);
        var key = $"{Escape(entityId)}/{Escape(eventId)}/{Escape(step)}";
        return revision == 1 ? key : string.Create(CultureInfo.InvariantCulture, $"{key}#{revision}");
    }

    /// <summary>The parts of a key made by <see cref="Compose"/>; false when <paramref name="key"/> is not one.</summary>
    public static bool TryParse(string key, out (string EntityId, string EventId, string Step, int Revision) parts)
    {
        parts = default;
        if (key is null)
        {
            return false;
        }

        var revision = 1;
        var hash = key.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            if (!int.TryParse(key.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out revision) || revision < 2)
            {
                return false;
            }

            key = key[..hash];
        }

        var split = key.Split('/');
        if (split.Length != 3 || !TryUnescape(split[0], out var entity) || !TryUnescape(split[1], out var eventId) || !TryUnescape(split[2], out var step))
        {
            return false;
        }

        parts = (entity, eventId, step, revision);
        return true;
    }

    /// <summary><paramref name="part"/> with <c>%</c>, <c>/</c> and <c>#</c> escaped, so it can be joined with <c>/</c> and <c>#</c> unambiguously.</summary>
    public static string Escape(string part)
    {
        ArgumentNullException.ThrowIfNull(part);
        if (part.AsSpan().IndexOfAny('%', '/', '#') < 0)
        {
            return part;
        }

        var escaped = new StringBuilder(part.Length + 8);
        foreach (var c in part)
        {
            escaped.Append(c switch
            {
                '%' => "%25",
                '/' => "%2F",
                '#' => "%23",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

    private static bool TryUnescape(string part, out string value)
    {
        var result = new StringBuilder(part.Length);
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] != '%')
            {
                result.Append(part[i]);
                continue;
            }

            var code = i + 2 < part.Length ? part.Substring(i + 1, 2) : "";
            switch (code)
            {
                case "25":
                    result.Append('%');
                    break;
                case "2F":
                    result.Append('/');
                    break;
                case "23":
                    result.Append('#');
                    break;
                default:
                    value = "";
                    return false;
            }

            i += 2;
        }

        value = result.ToString();
        return true;
    }
}
