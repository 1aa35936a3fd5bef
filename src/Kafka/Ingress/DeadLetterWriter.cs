using System.Threading.Channels;
using Coordinator.Actors.Persistence;
using Coordinator.Kafka.Egress;
using Microsoft.Extensions.Logging;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// Records poison records in the dead-letter store (and the dead-letter topic, if configured)
/// off the consume thread, then completes them so the watermark passes them. A failing store
/// is retried with backoff; the record stays in flight meanwhile, so it is never committed
/// unrecorded. The queue is bounded: a stuck store pauses consumption.
/// </summary>
internal sealed class DeadLetterWriter : IAsyncDisposable
{
    private readonly Channel<Item> _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(1_024) { SingleReader = true, SingleWriter = true });
    private readonly IDeadLetterStore _store;
    private readonly KafkaPublisher? _publisher;
    private readonly string? _topic;
    private readonly IngressMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _loop;
    private bool _failing;
    private int _disposed;

    public DeadLetterWriter(IDeadLetterStore store, KafkaPublisher? publisher, string? topic, IngressMetrics metrics, TimeProvider time, ILogger logger)
    {
        _store = store;
        _publisher = publisher;
        _topic = topic;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The dead letter of a consumed record; its key is kept as bytes and as text every store can hold.</summary>
    public static DeadLetterRecord Letter(Confluent.Kafka.TopicPartition partition, long offset, Confluent.Kafka.Message<byte[], byte[]> message, DeadLetterReason reason, string detail, string group, TimeProvider time)
    {
        var key = message.Key is { Length: > 0 } bytes ? Storable(System.Text.Encoding.UTF8.GetString(bytes)) : null;
        return new DeadLetterRecord(partition.Topic, partition.Partition.Value, offset, key, message.Value ?? [], reason, Storable(detail), group, time.GetUtcNow())
        {
            RawKey = message.Key is { Length: > 0 } ? message.Key : null,
        };
    }

    /// <summary>Text PostgreSQL can store: U+0000 written as <c>\u0000</c>.</summary>
    private static string Storable(string text) => text.Replace("\0", "\\u0000", StringComparison.Ordinal);

    /// <summary>Consume thread: queues <paramref name="record"/>; waits for room when the queue is full.</summary>
    public void Post(DeadLetterRecord record, PartitionFlow flow, long generation)
    {
        var item = new Item(record, () => flow.Complete(generation, record.Offset));
        if (!_queue.Writer.TryWrite(item))
        {
            _queue.Writer.WriteAsync(item, _abort.Token).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Records <paramref name="record"/>; completes once it is in the store (and topic). A full
    /// queue or a failing store makes the caller wait: in a stream that is backpressure, and the
    /// record is never committed unrecorded.
    /// </summary>
    public async Task WriteAsync(DeadLetterRecord record)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Item(record, done.SetResult), _abort.Token).ConfigureAwait(false);
        await done.Task.WaitAsync(_abort.Token).ConfigureAwait(false);
    }

    /// <summary>Whether the last write to the store or topic failed (cleared by the next success): the ingress is not ready meanwhile.</summary>
    public bool Failing => Volatile.Read(ref _failing);

    /// <summary>Records waiting to be written.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Stops after the queued records are written (graceful) or at once (<paramref name="abort"/>).</summary>
    public async Task StopAsync(bool abort)
    {
        _queue.Writer.TryComplete();
        if (abort)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // aborted: what was not recorded is not committed either, and is read again
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync(abort: true).ConfigureAwait(false);
        _abort.Dispose();
    }

    private async Task RunAsync()
    {
        var token = _abort.Token;
        await foreach (var item in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
        {
            var record = item.Record;
            await RetryAsync(ct => _store.AddAsync(record, ct), token).ConfigureAwait(false);
            if (_publisher is not null && _topic is not null)
            {
                var headers = new Dictionary<string, string>
                {
                    ["dead-letter.reason"] = record.Reason.ToString(),
                    ["dead-letter.detail"] = record.Detail,
                    ["dead-letter.source"] = $"{record.Topic}/{record.Partition}/{record.Offset}",
                };
                await RetryAsync(ct => _publisher.PublishAsync(_topic, record.Key ?? string.Empty, record.Value, headers, ct), token).ConfigureAwait(false);
            }

            _metrics.RecordDeadLettered(record.Reason);
            item.Done();
        }
    }

    private async Task RetryAsync(Func<CancellationToken, Task> write, CancellationToken token)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await write(token).ConfigureAwait(false);
                Volatile.Write(ref _failing, false);
                return;
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                Volatile.Write(ref _failing, true);
                KafkaLog.DeadLetterWriteFailed(_logger, ex, delay);
                await Task.Delay(delay, _time, token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private readonly record struct Item(DeadLetterRecord Record, Action Done);
}
