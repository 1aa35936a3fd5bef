namespace Coordinator.Kafka.Tests.Ingress;

/// <summary>A journal whose writes wait until it is opened.</summary>
internal sealed class GatedJournal(IJournalStore inner) : DelegatingJournal(inner)
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _open.TrySetResult();

    public override async Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        await _open.Task.WaitAsync(cancellationToken);
        await base.WriteAsync(events, cancellationToken);
    }
}

/// <summary>
/// A journal that fails writes containing chosen events: outright, or after committing them (a
/// lost acknowledgement). Each chosen event fails its first write and the writer's retry of it.
/// </summary>
internal sealed class FailingJournal(IJournalStore inner, IReadOnlyList<(string PersistenceId, long SequenceNr, bool CommitFirst)> faults) : DelegatingJournal(inner)
{
    private readonly Dictionary<(string, long), int> _remaining = faults.ToDictionary(f => (f.PersistenceId, f.SequenceNr), _ => 2);
    private int _failures;

    public int Failures => Volatile.Read(ref _failures);

    public override async Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        (string, long)? hit = null;
        lock (_remaining)
        {
            foreach (var e in events)
            {
                if (_remaining.TryGetValue((e.PersistenceId, e.SequenceNr), out var left) && left > 0)
                {
                    _remaining[(e.PersistenceId, e.SequenceNr)] = left - 1;
                    hit = (e.PersistenceId, e.SequenceNr);
                    if (left == 2)
                    {
                        _failures++;
                    }

                    break;
                }
            }
        }

        if (hit is { } fault)
        {
            if (faults.Any(f => (f.PersistenceId, f.SequenceNr) == fault && f.CommitFirst))
            {
                await base.WriteAsync(events, cancellationToken);
            }

            throw new IOException($"injected journal failure at {fault.Item1} #{fault.Item2}");
        }

        await base.WriteAsync(events, cancellationToken);
    }
}

internal abstract class DelegatingJournal(IJournalStore inner) : IJournalStore
{
    public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

    public virtual Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default) => inner.WriteAsync(events, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default) => inner.ReadEventsAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) => inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    // Recovery's reads, which the plugin coalesces over many entities: the real store's queries.
    public Task<IReadOnlyDictionary<string, long>> ReadHighestSequenceNrsAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default) => inner.ReadHighestSequenceNrsAsync(persistenceIds, cancellationToken);

    public IAsyncEnumerable<ReplayedEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default) => inner.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken);

    public IAsyncEnumerable<(int Range, ReplayedEvent Event)> ReplayAsync(IReadOnlyList<ReplayRange> ranges, CancellationToken cancellationToken = default) => inner.ReplayAsync(ranges, cancellationToken);

    public Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) => inner.DeleteEventsToAsync(persistenceId, toSequenceNr, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default) => inner.ReadAllAsync(afterOrdering, max, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default) => inner.ReadByTagAsync(tag, afterOrdering, max, cancellationToken);
}
