using Coordinator.Contracts;

namespace Coordinator.Connectors;

/// <summary>
/// Maps a call's outcome to its failure lane. Outcomes are named: <c>timeout</c>,
/// <c>refused</c> (connection refused, reset or unresolvable), <c>http-NNN</c> for a status,
/// <c>contract</c> (a response the mapping cannot read), <c>verify-mismatch</c> (the read-back
/// disagrees) and <c>circuit-open</c>. A status is looked up exactly (<c>http-429</c>), then by
/// class (<c>http-4xx</c>, <c>http-5xx</c>). The default table is the README's; a connector
/// overrides single entries in its configuration (<c>Failures: { "http-409": "Transient" }</c>).
/// </summary>
public sealed class FailureTable
{
    private readonly Dictionary<string, (FailureClass Class, string Fix)> _entries;

    private FailureTable(Dictionary<string, (FailureClass, string)> entries) => _entries = entries;

    /// <summary>The documented default.</summary>
    public static FailureTable Default { get; } = new(new Dictionary<string, (FailureClass, string)>(StringComparer.OrdinalIgnoreCase)
    {
        ["timeout"] = (FailureClass.Transient, "the system was slow; it is retried, and if it stays slow raise the connector's Timeout or check the system's health"),
        ["refused"] = (FailureClass.Transient, "the system could not be reached; it is retried, then the circuit opens until it is back"),
        ["http-408"] = (FailureClass.Transient, "the system timed the request out; it is retried"),
        ["http-425"] = (FailureClass.Transient, "the system asked to retry later; it is retried"),
        ["http-429"] = (FailureClass.Transient, "the system is rate limiting; it is retried after its Retry-After, and the connector's RatePerSecond may be too high"),
        ["http-5xx"] = (FailureClass.Transient, "the system failed internally; it is retried, then the circuit opens until it recovers"),
        ["http-401"] = (FailureClass.Infrastructure, "the credentials were refused; fix the connector's auth settings (token or its environment variable)"),
        ["http-403"] = (FailureClass.Infrastructure, "the credentials lack permission; grant the connector's account access"),
        ["http-4xx"] = (FailureClass.Data, "the system rejected the input; correct the step's input and retry it"),
        ["contract"] = (FailureClass.Data, "the response did not have the mapped fields; fix the operation's Output mapping or the system's response"),
        ["verify-mismatch"] = (FailureClass.Data, "the read-back disagrees with what was sent; check the record in the system, then retry or resolve manually"),
        ["circuit-open"] = (FailureClass.Infrastructure, "the connector's circuit is open; the action is queued and runs when the system recovers"),
    });

    /// <summary>A copy with <paramref name="overrides"/> (outcome → lane) replacing entries.</summary>
    /// <exception cref="ArgumentException">An outcome name is malformed.</exception>
    public FailureTable With(IReadOnlyDictionary<string, FailureClass> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var entries = new Dictionary<string, (FailureClass, string)>(_entries, StringComparer.OrdinalIgnoreCase);
        foreach (var (outcome, lane) in overrides)
        {
            if (!IsOutcome(outcome))
            {
                throw new ArgumentException($"Failure table outcome '{outcome}' is unknown; use timeout, refused, http-NNN, http-4xx, http-5xx, contract, verify-mismatch or circuit-open.", nameof(overrides));
            }

            var fix = _entries.TryGetValue(outcome, out var known) ? known.Fix : "see the connector's failure table";
            entries[outcome] = (lane, fix);
        }

        return new FailureTable(entries);
    }

    /// <summary>The lane and the operator's fix for <paramref name="outcome"/>.</summary>
    public (FailureClass Class, string Fix) Classify(string outcome)
    {
        if (_entries.TryGetValue(outcome, out var entry))
        {
            return entry;
        }

        if (outcome.StartsWith("http-", StringComparison.Ordinal) && outcome.Length == 8 && _entries.TryGetValue($"http-{outcome[5]}xx", out entry))
        {
            return entry;
        }

        return (FailureClass.Data, "an outcome the failure table does not name; review it and add an entry");
    }

    /// <summary>Rows for documentation and the CLI: outcome, lane, fix.</summary>
    public IEnumerable<(string Outcome, FailureClass Class, string Fix)> Rows => _entries.Select(e => (e.Key, e.Value.Class, e.Value.Fix));

    private static bool IsOutcome(string outcome)
        => outcome is "timeout" or "refused" or "contract" or "verify-mismatch" or "circuit-open" or "http-4xx" or "http-5xx"
            || (outcome.Length == 8 && outcome.StartsWith("http-", StringComparison.Ordinal) && outcome[5..].All(char.IsAsciiDigit));
}
