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

    /// <summary>Consume thread: queues <paramref name="record"/>; waits for room when the queue is full.</summary>
    public void Post(DeadLetterRecord record, PartitionFlow flow, long generation)
    {
        var item = new Item(record, flow, generation);
        if (!_queue.Writer.TryWrite(item))
        {
            _queue.Writer.WriteAsync(item, _abort.Token).AsTask().GetAwaiter().GetResult();
        }
    }

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
            item.Flow.Complete(item.Generation, record.Offset);
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
                return;
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                KafkaLog.DeadLetterWriteFailed(_logger, ex, delay);
                await Task.Delay(delay, _time, token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private readonly record struct Item(DeadLetterRecord Record, PartitionFlow Flow, long Generation);
}
