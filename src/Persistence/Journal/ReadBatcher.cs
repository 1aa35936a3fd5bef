using System.Data.Common;
using System.Threading.Channels;

namespace Coordinator.Persistence.Journal;

/// <summary>
/// Answers concurrent per-entity reads of recovery (highest sequence number, latest snapshot)
/// with one query for many entities. Akka recovers one persistence id at a time, up to
/// <c>max-concurrent-recoveries</c> at once; their reads queue here and one loop takes everything
/// waiting (up to the batch size) into one <c>persistence_id = ANY(...)</c> query while the next
/// batch gathers. An idle read goes out at once, alone, as the per-entity query.
/// </summary>
/// <remarks>
/// A read is answered only by a query that starts after the read was queued, so it sees every
/// write acknowledged before the read began (never an older value from a query already in
/// flight). A caller's cancellation completes that caller at once; the query goes on for the
/// others. A failed batch: on a transient failure (a <see cref="DbException"/> marked transient,
/// a timeout, shutdown) every caller of the batch fails with it and later reads try again; on any
/// other failure the batch's entities are read one by one, so an entity the database refuses
/// fails alone.
/// </remarks>
/// <typeparam name="TKey">What is asked: a persistence id, or an entity's range of events.</typeparam>
/// <typeparam name="T">What is read for it.</typeparam>
public sealed class ReadBatcher<TKey, T> : IAsyncDisposable
    where TKey : notnull
{
    private readonly Func<IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, T>>> _readMany;
    private readonly Func<TKey, CancellationToken, Task<T>> _readOne;
    private readonly T _missing;
    private readonly int _maxBatch;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _queries;
    private long _reads;

    /// <summary>Starts the reader.</summary>
    /// <param name="readMany">Reads many entities at once; entities left out get <paramref name="missing"/>.</param>
    /// <param name="readOne">Reads one entity (a batch of one, and the retry of a failed batch).</param>
    /// <param name="missing">The value of an entity the batch query did not return.</param>
    /// <param name="maxBatch">Most entities in one query.</param>
    public ReadBatcher(
        Func<IReadOnlyList<TKey>, CancellationToken, Task<IReadOnlyDictionary<TKey, T>>> readMany,
        Func<TKey, CancellationToken, Task<T>> readOne,
        T missing,
        int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _readMany = readMany;
        _readOne = readOne;
        _missing = missing;
        _maxBatch = maxBatch;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Store queries made so far (batched and single); fewer than <see cref="Reads"/> when reads were coalesced.</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>Reads asked for so far.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Reads <paramref name="key"/>'s value, with whichever other entities are read at the same time.</summary>
    public Task<T> ReadAsync(TKey key, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        Interlocked.Increment(ref _reads);
        var request = new Request(key, new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (cancellationToken.CanBeCanceled)
        {
            request.Cancellation = cancellationToken.Register(static state => ((Request)state!).Done.TrySetCanceled(), request);
        }

        if (!_requests.Writer.TryWrite(request))
        {
            request.Cancellation.Dispose();
            return Task.FromException<T>(new ObjectDisposedException(nameof(ReadBatcher<TKey, T>), "The journal is shutting down."));
        }

        return request.Done.Task;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        var reader = _requests.Reader;
        var batch = new List<Request>(_maxBatch);
        var ids = new List<TKey>(_maxBatch);
        var seen = new HashSet<TKey>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            ids.Clear();
            seen.Clear();
            while (ids.Count < _maxBatch && reader.TryRead(out var request))
            {
                if (request.Done.Task.IsCompleted)
                {
                    continue; // cancelled while it waited
                }

                batch.Add(request);
                if (seen.Add(request.Key))
                {
                    ids.Add(request.Key);
                }
            }

            if (batch.Count > 0)
            {
                await ReadBatchAsync(batch, ids).ConfigureAwait(false);
            }
        }
    }

    private async Task ReadBatchAsync(List<Request> batch, List<TKey> ids)
    {
        var token = _stopping.Token;
        try
        {
            Interlocked.Increment(ref _queries);
            if (ids.Count == 1)
            {
                var value = await _readOne(ids[0], token).ConfigureAwait(false);
                foreach (var request in batch)
                {
                    request.Complete(value);
                }

                return;
            }

            var values = await _readMany(ids, token).ConfigureAwait(false);
            foreach (var request in batch)
            {
                request.Complete(values.TryGetValue(request.Key, out var value) ? value : _missing);
            }

            return;
        }
        catch (Exception ex) when (ids.Count == 1 || IsTransient(ex) || token.IsCancellationRequested)
        {
            foreach (var request in batch)
            {
                request.Fail(ex);
            }

            return;
        }
        catch (Exception)
        {
            // Not the database being away: perhaps one entity it refuses. Read them one by one
            // so that only that caller fails.
        }

        foreach (var request in batch)
        {
            if (request.Done.Task.IsCompleted)
            {
                continue;
            }

            try
            {
                Interlocked.Increment(ref _queries);
                request.Complete(await _readOne(request.Key, token).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                request.Fail(ex);
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex is DbException { IsTransient: true } or TimeoutException or OperationCanceledException
        || (ex.InnerException is { } inner && IsTransient(inner));

    private sealed class Request(TKey key, TaskCompletionSource<T> done)
    {
        public TKey Key { get; } = key;

        public TaskCompletionSource<T> Done { get; } = done;

        public CancellationTokenRegistration Cancellation { get; set; }

        public void Complete(T value)
        {
            Cancellation.Dispose();
            Done.TrySetResult(value);
        }

        public void Fail(Exception ex)
        {
            Cancellation.Dispose();
            Done.TrySetException(ex);
        }
    }
}
