using System.Collections.Immutable;

namespace Coordinator.Workflows.Definitions;

/// <summary>
/// The connectors, operations and queues that exist where definitions will run. It is an input
/// to validation, so the engine stays pure: the host builds it from configuration, the CLI from
/// a <c>catalog.yaml</c>.
/// </summary>
/// <param name="Connectors">Connector name to its operations.</param>
/// <param name="Queues">The human task queues.</param>
public sealed record WorkflowCatalog(ImmutableSortedDictionary<string, ImmutableSortedSet<string>> Connectors, ImmutableSortedSet<string> Queues)
{
    /// <summary>Builds a catalogue.</summary>
    /// <param name="connectors">Connector name to operations.</param>
    /// <param name="queues">Queues.</param>
    /// <returns>The catalogue.</returns>
    public static WorkflowCatalog Create(IEnumerable<KeyValuePair<string, IEnumerable<string>>> connectors, IEnumerable<string> queues)
        => new(
            connectors.ToImmutableSortedDictionary(c => c.Key, c => c.Value.ToImmutableSortedSet(StringComparer.Ordinal), StringComparer.Ordinal),
            queues.ToImmutableSortedSet(StringComparer.Ordinal));
}
