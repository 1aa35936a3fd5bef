using System.Threading.Channels;
using Coordinator.Contracts;
using Coordinator.Kafka.Egress;
using Coordinator.Persistence.Abstractions;
using Microsoft.Extensions.Logging;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// Records poison records in the dead-letter store (and the dead-letter topic, if configured)
/// off the consume thread, then completes them so the watermark passes them. What a failed
/// write does depends on its lane (<see cref="WriteFailures"/>):
/// <list type="bullet">
/// <item>Not about the letter's data (an outage: connection refused or lost, a timeout, a
/// transient SQLSTATE, a missing table, anything unclassified): retried with backoff while the
/// record stays in flight, so its partition's progress is held at it and it is never committed
/// unrecorded; <see cref="Failing"/> is set meanwhile (readiness) and the queue is bounded, so
/// a stuck store applies backpressure, never an eviction from the group.</item>
/// <item>A data error (SQLSTATE class 22, class 23 but for <c>23505</c>, a
/// <see cref="DataException"/>): the letter would be refused for ever, so it is written again
/// in a reduced form every store can hold (the key as bytes only, the detail escaped to ASCII
/// and naming the refusal; the value was bytes all along). If the store refuses even that for
/// good, or the dead-letter topic refuses the letter for good, the letter's position, reason
/// and raw bytes (base64) are logged at error level (event 3014) and counted
/// (<see cref="IngressMetrics.DeadLettersUnwritable"/>), and the partition moves on: that log
/// entry and that count are then the record's only record, nothing is dropped silently.</item>
/// </list>
/// A <c>23505</c> (unique key taken) from the store means the letter is there already.
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
            await StoreAsync(record, token).ConfigureAwait(false);
            if (_publisher is not null && _topic is not null)
            {
                var headers = new Dictionary<string, string>
                {
                    ["dead-letter.reason"] = record.Reason.ToString(),
                    ["dead-letter.detail"] = record.Detail,
                    ["dead-letter.source"] = $"{record.Topic}/{record.Partition}/{record.Offset}",
                };
                if (await RetryAsync(ct => _publisher.PublishAsync(_topic, record.Key ?? string.Empty, record.Value, headers, ct), token).ConfigureAwait(false) is { } refused)
                {
                    Unwritable(record, $"dead-letter topic '{_topic}'", "topic", refused);
                }
            }

            _metrics.RecordDeadLettered(record.Reason);
            item.Done();
        }
    }

    /// <summary>Writes <paramref name="record"/> to the store; reduced if the store refuses its data, logged and counted if it refuses that too.</summary>
    private async Task StoreAsync(DeadLetterRecord record, CancellationToken token)
    {
        if (await RetryAsync(ct => _store.AddAsync(record, ct), token).ConfigureAwait(false) is not { } refused)
        {
            return;
        }

        KafkaLog.DeadLetterReduced(_logger, record.Topic, record.Partition, record.Offset, record.Reason.ToString(), Describe(refused));
        var reduced = Reduced(record, refused);
        if (await RetryAsync(ct => _store.AddAsync(reduced, ct), token).ConfigureAwait(false) is { } refusedAgain)
        {
            Unwritable(record, "dead-letter store", "store", refusedAgain);
            return;
        }

        _metrics.RecordDeadLetterReduced();
    }

    /// <summary>
    /// <paramref name="record"/> in a form every store can hold: the key only as bytes, the
    /// detail escaped to ASCII, naming why the letter as read was refused.
    /// </summary>
    private static DeadLetterRecord Reduced(DeadLetterRecord record, Exception refused)
    {
        const int MaxDetail = 4_000;
        var detail = $"Stored reduced: the dead-letter store refused this letter as read ({Describe(refused)}), so its key is kept only as bytes (raw key) and this text is escaped to ASCII. Original detail: {record.Detail}";
        return record with
        {
            Key = null,
            Detail = Ascii(detail.Length > MaxDetail ? detail[..MaxDetail] : detail),
            RawKey = RawKeyOf(record),
        };
    }

    /// <summary>The letter's key as bytes: as read, or its text in UTF-8; null when it has none.</summary>
    private static byte[]? RawKeyOf(DeadLetterRecord record) => record.RawKey ?? (record.Key is { } key ? System.Text.Encoding.UTF8.GetBytes(key) : null);

    private static string Describe(Exception refused)
        => WriteFailures.SqlState(refused) is { } state ? $"SQLSTATE {state}, {refused.GetType().Name}: {refused.Message}" : $"{refused.GetType().Name}: {refused.Message}";

    /// <summary>Printable ASCII only: anything else as <c>\uXXXX</c>.</summary>
    private static string Ascii(string text)
    {
        var ascii = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~')
            {
                ascii.Append(c);
            }
            else
            {
                ascii.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }

        return ascii.ToString();
    }

    private void Unwritable(DeadLetterRecord record, string target, string tag, Exception refused)
    {
        var key = RawKeyOf(record);
        KafkaLog.DeadLetterUnwritable(_logger, refused, record.Topic, record.Partition, record.Offset, record.Reason.ToString(), target, Describe(refused), key is null ? "(none)" : Convert.ToBase64String(key), Convert.ToBase64String(record.Value), Ascii(record.Detail));
        _metrics.RecordDeadLetterUnwritable(tag);
    }

    /// <summary>
    /// Runs <paramref name="write"/> until it succeeds (null) or fails on the data (that failure:
    /// trying again cannot help); any other failure is retried with backoff, <see cref="Failing"/> set.
    /// </summary>
    private async Task<Exception?> RetryAsync(Func<CancellationToken, Task> write, CancellationToken token)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await write(token).ConfigureAwait(false);
                Volatile.Write(ref _failing, false);
                return null;
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                if (WriteFailures.SqlState(ex) == WriteFailures.UniqueViolation)
                {
                    // the letter's (topic, partition, offset) is there already: recorded
                    Volatile.Write(ref _failing, false);
                    return null;
                }

                var lane = WriteFailures.Classify(ex);
                if (lane == FailureClass.Data)
                {
                    // the target answered, and refused this letter: not an outage
                    Volatile.Write(ref _failing, false);
                    return ex;
                }

                Volatile.Write(ref _failing, true);
                KafkaLog.DeadLetterWriteFailed(_logger, ex, lane.ToString(), delay);
                await Task.Delay(delay, _time, token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private readonly record struct Item(DeadLetterRecord Record, Action Done);
}
