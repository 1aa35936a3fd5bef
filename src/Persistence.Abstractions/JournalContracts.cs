using System.Runtime.CompilerServices;

namespace Coordinator.Persistence.Abstractions;

/// <summary>Who caused a change: the system itself, or a named human operator.</summary>
/// <param name="Kind">"system" or "operator".</param>
/// <param name="Name">The operator's name; null for the system.</param>
public sealed record Actor(string Kind, string? Name)
{
    /// <summary>The system, acting on its own rules.</summary>
    public static Actor System { get; } = new("system", null);

    /// <summary>A human operator.</summary>
    public static Actor Operator(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new Actor("operator", name);
    }

    /// <summary>"system" or "operator:alice".</summary>
    public override string ToString() => Name is null ? Kind : $"{Kind}:{Name}";

    /// <summary>Parses <see cref="ToString"/>'s form.</summary>
    public static Actor Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? new Actor(value, null) : new Actor(value[..colon], value[(colon + 1)..]);
    }
}

/// <summary>What is recorded with every event besides its payload.</summary>
/// <param name="Timestamp">When it was written.</param>
/// <param name="WriterId">Which node (process) wrote it.</param>
/// <param name="CorrelationId">The business flow it belongs to, if known.</param>
/// <param name="CausationId">The message or event that caused it, if known.</param>
/// <param name="CausedBy">The system or the operator behind it.</param>
public sealed record EventMetadata(DateTimeOffset Timestamp, string WriterId, string? CorrelationId, string? CausationId, Actor CausedBy);

/// <summary>An event row to write.</summary>
/// <param name="PersistenceId">The entity.</param>
/// <param name="SequenceNr">1, 2, 3… per entity, without gaps.</param>
/// <param name="Event">Type name and payload.</param>
/// <param name="Tags">Tags for projections (may be empty).</param>
/// <param name="Metadata">Who, when, why.</param>
public sealed record EventToWrite(string PersistenceId, long SequenceNr, SerializedEvent Event, IReadOnlyList<string> Tags, EventMetadata Metadata);

/// <summary>An event row as stored.</summary>
/// <param name="Ordering">Global position: increasing in commit order, so a reader following it never skips.</param>
/// <param name="PersistenceId">The entity.</param>
/// <param name="SequenceNr">Position within the entity.</param>
/// <param name="Event">Type name and payload.</param>
/// <param name="Tags">Tags.</param>
/// <param name="Metadata">Who, when, why.</param>
public sealed record StoredEvent(long Ordering, string PersistenceId, long SequenceNr, SerializedEvent Event, IReadOnlyList<string> Tags, EventMetadata Metadata);

/// <summary>A snapshot as stored.</summary>
/// <param name="PersistenceId">The entity.</param>
/// <param name="SequenceNr">The last event the snapshot includes.</param>
/// <param name="Timestamp">When it was taken.</param>
/// <param name="State">Type name and payload.</param>
public sealed record StoredSnapshot(string PersistenceId, long SequenceNr, DateTimeOffset Timestamp, SerializedEvent State);

/// <summary>
/// Where events are kept. Implementations: in memory, SQLite file, PostgreSQL; all pass the
/// same contract suite.
/// <para>
/// A write of several events (of one or many entities) is atomic. The key (persistence id,
/// sequence number) is unique: a second writer for the same entity fails with
/// <see cref="JournalConflictException"/> and never forks its history. Ordering values are
/// assigned in commit order, so <see cref="ReadAllAsync"/> from an offset never skips an event
/// that commits later.
/// </para>
/// </summary>
public interface IJournalStore
{
    /// <summary>Creates or migrates the schema; safe to call from many nodes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes all of <paramref name="events"/> or none.</summary>
    /// <exception cref="JournalConflictException">An event's (persistence id, sequence number) exists already.</exception>
    Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default);

    /// <summary>Events of one entity from <paramref name="fromSequenceNr"/> to <paramref name="toSequenceNr"/> (inclusive), oldest first, skipping deleted ones.</summary>
    IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default);

    /// <summary>
    /// What recovery needs of one entity's events, oldest first, skipping deleted ones: the
    /// sequence number, payload, writer and time, without tags or audit columns. Stores
    /// override it with a leaner query; the default reads <see cref="ReadEventsAsync(string, long, long, CancellationToken)"/>.
    /// </summary>
    async IAsyncEnumerable<ReplayedEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var stored in ReadEventsAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken).ConfigureAwait(false))
        {
            yield return new ReplayedEvent(stored.SequenceNr, stored.Event, stored.Metadata.WriterId, stored.Metadata.Timestamp);
        }
    }

    /// <summary>
    /// What recovery needs of several entities' events at once, as <see cref="ReplayAsync(string, long, long, CancellationToken)"/>
    /// for each range: each event with the index of its range in <paramref name="ranges"/>, one
    /// range's events together and oldest first, ranges in any order. Recovering entities with
    /// few events are replayed together with it; stores with a network round trip answer it in
    /// one query. The default replays the ranges one by one.
    /// </summary>
    async IAsyncEnumerable<(int Range, ReplayedEvent Event)> ReplayAsync(IReadOnlyList<ReplayRange> ranges, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        for (var i = 0; i < ranges.Count; i++)
        {
            await foreach (var replayed in ReplayAsync(ranges[i].PersistenceId, ranges[i].FromSequenceNr, ranges[i].ToSequenceNr, cancellationToken).ConfigureAwait(false))
            {
                yield return (i, replayed);
            }
        }
    }

    /// <summary>The highest sequence number ever written for the entity (deleted events included), 0 if none.</summary>
    Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events of several entities, each from its own sequence number on, skipping deleted ones:
    /// all of one entity's events together and oldest first, entities in any order. Recovery
    /// reads many entities at once with it; stores with a network round trip answer it in one
    /// query. The default reads the entities one by one.
    /// </summary>
    async IAsyncEnumerable<StoredEvent> ReadEventsAsync(IReadOnlyList<ReplayFrom> entities, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entities);
        foreach (var entity in entities)
        {
            await foreach (var stored in ReadEventsAsync(entity.PersistenceId, entity.FromSequenceNr, long.MaxValue, cancellationToken).ConfigureAwait(false))
            {
                yield return stored;
            }
        }
    }

    /// <summary>The highest sequence numbers of several entities, as <see cref="ReadHighestSequenceNrAsync(string, CancellationToken)"/>; entities with none are left out. The default asks one by one.</summary>
    async Task<IReadOnlyDictionary<string, long>> ReadHighestSequenceNrsAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        var highest = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in persistenceIds)
        {
            if (await ReadHighestSequenceNrAsync(id, cancellationToken).ConfigureAwait(false) is > 0 and var nr)
            {
                highest[id] = nr;
            }
        }

        return highest;
    }

    /// <summary>Marks the entity's events up to <paramref name="toSequenceNr"/> deleted; its highest sequence number is kept.</summary>
    Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> events with ordering above <paramref name="afterOrdering"/>, in ordering order.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="ReadAllAsync"/>, for events carrying <paramref name="tag"/>.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="max"/> entities whose first event has ordering above
    /// <paramref name="afterOrdering"/>, in ordering order: each entity once, as it first appears.
    /// </summary>
    Task<IReadOnlyList<(long Ordering, string PersistenceId)>> ReadPersistenceIdsAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
        => throw new NotSupportedException($"{GetType().Name} cannot list persistence ids.");
}

/// <summary>One event as recovery reads it.</summary>
/// <param name="SequenceNr">Its position within the entity.</param>
/// <param name="Event">Type name and payload.</param>
/// <param name="WriterId">Who wrote it.</param>
/// <param name="Timestamp">When.</param>
public readonly record struct ReplayedEvent(long SequenceNr, SerializedEvent Event, string WriterId, DateTimeOffset Timestamp);

/// <summary>One entity's events a recovery replays, both bounds inclusive.</summary>
public readonly record struct ReplayRange(string PersistenceId, long FromSequenceNr, long ToSequenceNr);

/// <summary>Where a recovery replays one entity's events from.</summary>
public readonly record struct ReplayFrom(string PersistenceId, long FromSequenceNr);

/// <summary>Where snapshots are kept; the latest per entity is what recovery uses.</summary>
public interface ISnapshotStore
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Saves a snapshot (replacing one at the same sequence number).</summary>
    Task SaveAsync(StoredSnapshot snapshot, CancellationToken cancellationToken = default);

    /// <summary>The latest snapshot at or below <paramref name="maxSequenceNr"/>, or null.</summary>
    Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>The latest snapshot of each of several entities; entities without one are left out. The default asks one by one.</summary>
    async Task<IReadOnlyDictionary<string, StoredSnapshot>> LoadLatestAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        var latest = new Dictionary<string, StoredSnapshot>(StringComparer.Ordinal);
        foreach (var id in persistenceIds)
        {
            if (await LoadLatestAsync(id, long.MaxValue, cancellationToken).ConfigureAwait(false) is { } snapshot)
            {
                latest[id] = snapshot;
            }
        }

        return latest;
    }

    /// <summary>Deletes the entity's snapshots up to <paramref name="maxSequenceNr"/>.</summary>
    Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default);

    /// <summary>The latest snapshot of the entity inside <paramref name="range"/>, or null.</summary>
    Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken = default)
        => throw new NotSupportedException($"{GetType().Name} cannot select snapshots by range.");

    /// <summary>Deletes the entity's snapshots inside <paramref name="range"/>.</summary>
    Task DeleteAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken = default)
        => throw new NotSupportedException($"{GetType().Name} cannot delete snapshots by range.");
}

/// <summary>Which snapshots of an entity a load or delete means: sequence numbers and times, both bounds inclusive.</summary>
/// <param name="MinSequenceNr">Lowest sequence number.</param>
/// <param name="MaxSequenceNr">Highest sequence number.</param>
/// <param name="MinTimestamp">Earliest time taken.</param>
/// <param name="MaxTimestamp">Latest time taken.</param>
public readonly record struct SnapshotRange(long MinSequenceNr, long MaxSequenceNr, DateTimeOffset MinTimestamp, DateTimeOffset MaxTimestamp);

/// <summary>Another writer already wrote an event at this (persistence id, sequence number): the entity has a second, zombie writer.</summary>
public sealed class JournalConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalConflictException(string persistenceId, long sequenceNr, Exception? innerException = null)
        : base($"Event {sequenceNr} of '{persistenceId}' was already written by another writer; this writer is stale (a zombie) and must stop and recover.", innerException)
    {
        PersistenceId = persistenceId;
        SequenceNr = sequenceNr;
    }

    /// <summary>The entity.</summary>
    public string PersistenceId { get; }

    /// <summary>The contested sequence number.</summary>
    public long SequenceNr { get; }
}
