using System.Collections.Immutable;
using Coordinator.Workflows.Engine;

namespace Coordinator.Workflows.Definitions;

/// <summary>
/// Definitions by name and version. New versions are added beside old ones: a running instance
/// keeps deciding with the version it started with (<see cref="For"/>), new instances start on
/// the latest.
/// </summary>
public sealed class DefinitionStore
{
    private readonly ImmutableSortedDictionary<string, ImmutableSortedDictionary<int, WorkflowDefinition>> _byName;

    private DefinitionStore(ImmutableSortedDictionary<string, ImmutableSortedDictionary<int, WorkflowDefinition>> byName) => _byName = byName;

    /// <summary>An empty store.</summary>
    public static DefinitionStore Empty { get; } = new(ImmutableSortedDictionary.Create<string, ImmutableSortedDictionary<int, WorkflowDefinition>>(StringComparer.Ordinal));

    /// <summary>A store holding these definitions.</summary>
    /// <param name="definitions">The definitions.</param>
    /// <returns>The store.</returns>
    public static DefinitionStore Of(IEnumerable<WorkflowDefinition> definitions) => definitions.Aggregate(Empty, (s, d) => s.Add(d));

    /// <summary>Adds a definition.</summary>
    /// <param name="definition">The definition.</param>
    /// <returns>The store with it.</returns>
    /// <exception cref="InvalidOperationException">That name and version is already stored with different content.</exception>
    public DefinitionStore Add(WorkflowDefinition definition)
    {
        var versions = _byName.GetValueOrDefault(definition.Name) ?? ImmutableSortedDictionary<int, WorkflowDefinition>.Empty;
        if (versions.TryGetValue(definition.Version, out var existing) && !ReferenceEquals(existing, definition))
        {
            throw new InvalidOperationException($"{definition.Name} version {definition.Version} is already stored (from {existing.Source}); a changed definition needs a new version");
        }

        return new DefinitionStore(_byName.SetItem(definition.Name, versions.SetItem(definition.Version, definition)));
    }

    /// <summary>Every stored definition.</summary>
    public IEnumerable<WorkflowDefinition> All => _byName.Values.SelectMany(v => v.Values);

    /// <summary>One version of a definition.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version.</param>
    /// <returns>It, or null.</returns>
    public WorkflowDefinition? Get(string name, int version)
        => _byName.TryGetValue(name, out var versions) && versions.TryGetValue(version, out var d) ? d : null;

    /// <summary>The latest version of a definition: the one new instances start on.</summary>
    /// <param name="name">The name.</param>
    /// <returns>It, or null.</returns>
    public WorkflowDefinition? Latest(string name) => _byName.TryGetValue(name, out var versions) && !versions.IsEmpty ? versions.Values.Last() : null;

    /// <summary>The version an instance is pinned to (the latest for an instance not yet started).</summary>
    /// <param name="name">The workflow.</param>
    /// <param name="state">The instance.</param>
    /// <returns>The definition, or null when that version is no longer stored.</returns>
    public WorkflowDefinition? For(string name, InstanceState state)
        => state.Status == InstanceStatus.NotStarted ? Latest(name) : Get(state.Definition!, state.Version);
}
