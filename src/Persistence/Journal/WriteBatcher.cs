using System.Threading.Channels;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Journal;

/// <summary>
/// Writes the events of many persistent actors together. Akka's journal actor hands each
/// actor's <c>WriteMessages</c> to the plugin without waiting for the previous one, so requests
/// from hundreds of actors arrive at once; they queue here and one loop takes everything waiting
/// (up to <c>max-batch-events</c>) into one transaction: binary COPY under the ordering lock on
/// PostgreSQL, one <c>BEGIN IMMEDIATE</c> on SQLite. Under load batches grow by themselves; an
/// idle write goes out at once. If a batch fails, its requests are retried one by one, so a
/// conflicting (zombie) writer fails alone and no partial batch is ever visible.
/// </summary>
public sealed class WriteBatcher : IAsyncDisposable
{
    private readonly IJournalStore _store;
    private readonly int _maxBatchEvents;
    private readonly int _maxPendingEvents;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private int _pendingEvents;

    /// <summary>Starts the writer on <paramref name="store"/>.</summary>
    public WriteBatcher(IJournalStore store, int maxBatchEvents, int maxPendingEvents)
    {
        _store = store;
        _maxBatchEvents = maxBatchEvents;
        _maxPendingEvents = maxPendingEvents;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Events accepted and not yet written.</summary>
    public int PendingEvents => Volatile.Read(ref _pendingEvents);

    /// <summary>Batches written so far (a figure for benchmarks and metrics).</summary>
    public long Batches { get; private set; }

    /// <summary>Events written so far.</summary>
    public long EventsWritten { get; private set; }

    /// <summary>Time spent in store writes so far.</summary>
    public TimeSpan WriteTime { get; private set; }

    /// <summary>Writes <paramref name="events"/> (one actor's, atomically) with other actors' writes.</summary>
    /// <exception cref="JournalOverloadedException">More than <c>max-pending-events</c> are waiting.</exception>
    public Task WriteAsync(IReadOnlyList<EventToWrite> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (Interlocked.Add(ref _pendingEvents, events.Count) > _maxPendingEvents && events.Count < _maxPendingEvents)
        {
            Interlocked.Add(ref _pendingEvents, -events.Count);
            return Task.FromException(new JournalOverloadedException(_maxPendingEvents));
        }

        var request = new Request(events, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_requests.Writer.TryWrite(request))
        {
            Interlocked.Add(ref _pendingEvents, -events.Count);
            return Task.FromException(new ObjectDisposedException(nameof(WriteBatcher), "The journal is shutting down."));
        }

        return request.Done.Task;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _requests.Reader;
        var batch = new List<Request>();
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

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await WriteBatchAsync(batch, rows).ConfigureAwait(false);
            WriteTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Batches++;
            EventsWritten += rows.Count;
            Interlocked.Add(ref _pendingEvents, -rows.Count);
        }
    }

    private async Task WriteBatchAsync(List<Request> batch, List<EventToWrite> rows)
    {
        try
        {
            await _store.WriteAsync(rows).ConfigureAwait(false);
            foreach (var request in batch)
            {
                request.Done.TrySetResult();
            }

            return;
        }
        catch (Exception ex) when (batch.Count == 1)
        {
            batch[0].Done.TrySetException(ex);
            return;
        }
        catch (Exception)
        {
            // One request failed the whole batch (a conflict, a value the database refuses):
            // write them one by one so that only the guilty actor fails.
        }

        foreach (var request in batch)
        {
            try
            {
                await _store.WriteAsync(request.Events).ConfigureAwait(false);
                request.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                request.Done.TrySetException(ex);
            }
        }
    }

    private sealed record Request(IReadOnlyList<EventToWrite> Events, TaskCompletionSource Done);
}

/// <summary>More events wait to be written than the journal accepts; the write is rejected and the actor goes on.</summary>
public sealed class JournalOverloadedException(int maxPendingEvents)
    : Exception($"The journal has {maxPendingEvents} events waiting to be written (max-pending-events); this write was rejected. Raise max-pending-events or reduce the number of active entities.");
