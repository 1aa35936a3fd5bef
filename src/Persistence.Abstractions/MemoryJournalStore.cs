using System.Runtime.CompilerServices;

namespace Coordinator.Persistence.Abstractions;

/// <summary>
/// An in-process journal for tests and benchmarks. It keeps every event in memory until the
/// process ends; it is not bounded, so production uses SQLite or PostgreSQL.
/// </summary>
public sealed class MemoryJournalStore : IJournalStore
{
    private readonly object _gate = new();
    private readonly List<StoredEvent> _all = [];
    private readonly Dictionary<string, Entity> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StoredEvent>> _byTag = new(StringComparer.Ordinal);
    private long _ordering;

    /// <summary>Number of events held (deleted ones included).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _all.Count;
            }
        }
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            // Check the whole batch first: all or nothing.
            var seen = new HashSet<(string, long)>();
            foreach (var e in events)
            {
                if (!seen.Add((e.PersistenceId, e.SequenceNr)) || (_entities.TryGetValue(e.PersistenceId, out var entity) && entity.Events.ContainsKey(e.SequenceNr)))
                {
                    throw new JournalConflictException(e.PersistenceId, e.SequenceNr);
                }
            }

            foreach (var e in events)
            {
                var stored = new StoredEvent(++_ordering, e.PersistenceId, e.SequenceNr, e.Event, e.Tags, e.Metadata);
                if (!_entities.TryGetValue(e.PersistenceId, out var entity))
                {
                    _entities[e.PersistenceId] = entity = new Entity();
                }

                entity.Events.Add(e.SequenceNr, stored);
                entity.Highest = Math.Max(entity.Highest, e.SequenceNr);
                _all.Add(stored);
                foreach (var tag in e.Tags)
                {
                    if (!_byTag.TryGetValue(tag, out var tagged))
                    {
                        _byTag[tag] = tagged = [];
                    }

                    tagged.Add(stored);
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<StoredEvent> events;
        lock (_gate)
        {
            if (!_entities.TryGetValue(persistenceId, out var entity))
            {
                yield break;
            }

            events = [.. entity.Events.Values.Where(e => e.SequenceNr >= fromSequenceNr && e.SequenceNr <= toSequenceNr && e.SequenceNr > entity.DeletedTo)];
        }

        foreach (var e in events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_entities.TryGetValue(persistenceId, out var entity) ? entity.Highest : 0);
        }
    }

    /// <inheritdoc />
    public Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_entities.TryGetValue(persistenceId, out var entity))
            {
                entity.DeletedTo = Math.Max(entity.DeletedTo, Math.Min(toSequenceNr, entity.Highest));
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<StoredEvent>>(Page(_all, afterOrdering, max));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_byTag.TryGetValue(tag, out var tagged) ? Page(tagged, afterOrdering, max) : (IReadOnlyList<StoredEvent>)[]);
        }
    }

    private List<StoredEvent> Page(List<StoredEvent> ordered, long afterOrdering, int max)
    {
        // Orderings are increasing in each list: binary-search the start.
        int lo = 0, hi = ordered.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ordered[mid].Ordering <= afterOrdering)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        var page = new List<StoredEvent>(Math.Min(max, ordered.Count - lo));
        for (var i = lo; i < ordered.Count && page.Count < max; i++)
        {
            var e = ordered[i];
            if (e.SequenceNr > _entities[e.PersistenceId].DeletedTo)
            {
                page.Add(e);
            }
        }

        return page;
    }

    private sealed class Entity
    {
        public SortedList<long, StoredEvent> Events { get; } = [];

        public long Highest { get; set; }

        public long DeletedTo { get; set; }
    }
}

/// <summary>An in-process snapshot store for tests and benchmarks.</summary>
public sealed class InMemorySnapshots : ISnapshotStore
{
    private readonly Dictionary<string, SortedList<long, StoredSnapshot>> _snapshots = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task SaveAsync(StoredSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        lock (_snapshots)
        {
            if (!_snapshots.TryGetValue(snapshot.PersistenceId, out var list))
            {
                _snapshots[snapshot.PersistenceId] = list = [];
            }

            list[snapshot.SequenceNr] = snapshot;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default)
    {
        lock (_snapshots)
        {
            return Task.FromResult(_snapshots.TryGetValue(persistenceId, out var list) ? list.Values.LastOrDefault(s => s.SequenceNr <= maxSequenceNr) : null);
        }
    }

    /// <inheritdoc />
    public Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        lock (_snapshots)
        {
            if (_snapshots.TryGetValue(persistenceId, out var list))
            {
                foreach (var key in list.Keys.Where(k => k <= maxSequenceNr).ToList())
                {
                    list.Remove(key);
                }
            }
        }

        return Task.CompletedTask;
    }
}
