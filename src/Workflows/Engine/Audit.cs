using System.Collections.Immutable;

namespace Coordinator.Workflows.Engine;

/// <summary>
/// Who did something, what, and why, with the evidence read: every event carries one.
/// </summary>
/// <param name="Who"><c>system</c>, or the human's or operator's name.</param>
/// <param name="What">What changed, in words.</param>
/// <param name="Why">Why: the rule and its condition, the tier and its thresholds, the guard, the human's rationale.</param>
/// <param name="Evidence">The values read to decide, by variable name (rules tried appear as <c>rule.{id}</c>).</param>
public sealed record Audit(string Who, string What, string Why, ImmutableSortedDictionary<string, string> Evidence)
{
    /// <summary>The actor name the engine records for its own decisions.</summary>
    public const string System = "system";

    /// <summary>Whether who, what and why are all present.</summary>
    public bool IsComplete => !string.IsNullOrWhiteSpace(Who) && !string.IsNullOrWhiteSpace(What) && !string.IsNullOrWhiteSpace(Why);
}
