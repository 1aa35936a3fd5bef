using System.Threading.Channels;
using Coordinator.Actors.Diagnostics;

namespace Coordinator.Actors.Persistence;

/// <summary>
/// Writes the events of many actors together: requests queue in a bounded channel and one loop
/// takes everything waiting (up to <see cref="PersistenceSettings.MaxBatchEvents"/> events) into
/// one atomic store write. Under load batches grow by themselves; when idle a request is written
/// at once (no artificial delay). Requests are written in arrival order, so each actor's order
/// holds. If a batch fails, its requests are retried one by one, so one conflicting actor fails
/// alone and no partial batch is ever visible.
/// </summary>
internal sealed class JournalWriter : IAsyncDisposable
{
    private readonly IJournalStore _store;
    private readonly int _maxBatchEvents;
    private readonly Channel<WriteRequest> _requests;
    private readonly Task _loop;
    private readonly ActorLog _log;
    private int _pendingEvents;
    private readonly int _maxPendingEvents;

    public JournalWriter(IJournalStore store, PersistenceSettings settings, ActorLog log)
    {
        _store = store;
        _maxBatchEvents = settings.MaxBatchEvents;
        _maxPendingEvents = settings.MaxPendingEvents;
        _log = log;
        _requests = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Events accepted and not yet written.</summary>
    public int PendingEvents => Volatile.Read(ref _pendingEvents);

    /// <summary>Queues a write; false when <see cref="PersistenceSettings.MaxPendingEvents"/> would be exceeded (the caller rejects the command).</summary>
    public bool TryEnqueue(WriteRequest request)
    {
        if (Interlocked.Add(ref _pendingEvents, request.Events.Count) > _maxPendingEvents && request.Events.Count < _maxPendingEvents)
        {
            Interlocked.Add(ref _pendingEvents, -request.Events.Count);
            return false;
        }

        if (!_requests.Writer.TryWrite(request))
        {
            Interlocked.Add(ref _pendingEvents, -request.Events.Count);
            return false;
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _requests.Reader;
        var batch = new List<WriteRequest>();
        var rows = new List<EventToWrite>(_maxBatchEvents);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            rows.Clear();
            while (rows.Count < _maxBatchEvents && reader.TryRead(out var request))
            {
                batch.Add(request);
                rows.AddRange(request.Events);
            }

            await WriteBatchAsync(batch, rows).ConfigureAwait(false);
            Interlocked.Add(ref _pendingEvents, -rows.Count);
        }
    }

    private async Task WriteBatchAsync(List<WriteRequest> batch, List<EventToWrite> rows)
    {
        try
        {
            await _store.WriteAsync(rows).ConfigureAwait(false);
            foreach (var request in batch)
            {
                Complete(request, null);
            }

            return;
        }
        catch (Exception ex) when (batch.Count == 1)
        {
            Complete(batch[0], ex);
            return;
        }
        catch (Exception ex)
        {
            _log.JournalBatchFailed(ex, batch.Count);
        }

        foreach (var request in batch)
        {
            try
            {
                await _store.WriteAsync(request.Events).ConfigureAwait(false);
                Complete(request, null);
            }
            catch (Exception ex)
            {
                Complete(request, ex);
            }
        }
    }

    private void Complete(WriteRequest request, Exception? failure)
    {
        try
        {
            request.OnCompleted(failure);
        }
        catch (Exception ex)
        {
            _log.JournalCallbackFailed(ex);
        }
    }
}

/// <summary>One atomic write of one actor, and what to do when it is durable or failed.</summary>
/// <param name="Events">The events, in order.</param>
/// <param name="OnCompleted">Called with null when durable, or the failure.</param>
internal sealed record WriteRequest(IReadOnlyList<EventToWrite> Events, Action<Exception?> OnCompleted);
