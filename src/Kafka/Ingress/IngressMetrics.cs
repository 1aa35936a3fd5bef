using System.Diagnostics.Metrics;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// The ingress's instruments on the meter <see cref="MeterName"/> (tagged with the actor
/// system), with running totals for tests, the CLI and the console.
/// </summary>
public sealed class IngressMetrics : IDisposable
{
    /// <summary>Name of the ingress meter.</summary>
    public const string MeterName = "Coordinator.Ingress";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _deadLettersReduced;
    private readonly Counter<long> _deadLettersUnwritable;
    private readonly Counter<long> _commits;
    private readonly Counter<long> _replays;
    private readonly Histogram<double> _latency;
    private readonly Histogram<double> _processing;
    private readonly Func<(long InFlight, long Paused)>[] _gauges = new Func<(long, long)>[1];
    private readonly Func<IEnumerable<Measurement<long>>>[] _lag = new Func<IEnumerable<Measurement<long>>>[1];
    private readonly Counter<long> _handOffs;
    private long _handOffsTotal;
    private long _consumedTotal;
    private long _appliedTotal;
    private long _redelivered;
    private long _republished;
    private long _deadLetteredTotal;
    private long _deadLettersReducedTotal;
    private long _deadLettersUnwritableTotal;
    private long _commitsTotal;
    private long _commitFailures;
    private long _replaysTotal;
    private long _stale;

    internal IngressMetrics(string systemName, IMeterFactory? meterFactory)
    {
        var tags = new[] { new KeyValuePair<string, object?>("actor.system", systemName) };
        if (meterFactory is { } factory)
        {
            _meter = factory.Create(new MeterOptions(MeterName) { Tags = tags });
        }
        else
        {
            _meter = new Meter(MeterName, null, tags);
            _ownsMeter = true;
        }

        _consumed = _meter.CreateCounter<long>("coordinator.ingress.records", "{record}", "Records read from Kafka.");
        _applied = _meter.CreateCounter<long>("coordinator.ingress.applied", "{record}", "Records applied by their entity and journaled.");
        _duplicates = _meter.CreateCounter<long>("coordinator.ingress.duplicates", "{record}", "Duplicates dropped; kind=redelivered (offset already applied) or republished (business event id already applied).");
        _deadLettered = _meter.CreateCounter<long>("coordinator.ingress.dead_lettered", "{record}", "Poison records set aside, by reason.");
        _deadLettersReduced = _meter.CreateCounter<long>("coordinator.ingress.dead_letters_reduced", "{record}", "Dead letters the store refused as read (a data error, such as text the database cannot hold) and took in reduced form: the key as bytes only, the detail escaped to ASCII and naming the refusal.");
        _deadLettersUnwritable = _meter.CreateCounter<long>("coordinator.ingress.dead_letters_unwritable", "{record}", "Dead letters refused for good (a data error, not an outage) by the dead-letter store even in reduced form (target=store) or by the dead-letter topic (target=topic); the record's raw bytes, position and reason are in the error log (event 3014) and its partition moved on.");
        _commits = _meter.CreateCounter<long>("coordinator.ingress.commits", "{commit}", "Offset commits; outcome=ok or failed.");
        _replays = _meter.CreateCounter<long>("coordinator.ingress.replays", "{replay}", "Partitions rewound to their watermark after an entity could not persist a record.");
        _latency = _meter.CreateHistogram<double>("coordinator.ingress.latency", "ms", "From the record's timestamp to its effect being journaled.");
        _processing = _meter.CreateHistogram<double>("coordinator.ingress.processing", "ms", "From the ingress reading a record to its effect being journaled (the coordinator's own share of the latency).");
        _meter.CreateObservableUpDownCounter("coordinator.ingress.in_flight", () => _gauges[0]?.Invoke().InFlight ?? 0, "{record}", "Records dispatched and not yet applied (bounded per partition).");
        _handOffs = _meter.CreateCounter<long>("coordinator.ingress.shard_handoffs", "{shard}", "Shards handed off because Kafka revoked (outcome=ok), lost (outcome=lost) their partition, or the hand-off timed out (outcome=timed_out).");
        _meter.CreateObservableGauge("coordinator.ingress.consumer_lag", () => _lag[0]?.Invoke() ?? [], "{record}", "Records of each assigned partition not yet read (the broker's high watermark minus the next offset read), by topic and partition.");
        _meter.CreateObservableUpDownCounter("coordinator.ingress.paused_partitions", () => _gauges[0]?.Invoke().Paused ?? 0, "{partition}", "Partitions paused because their in-flight limit was reached.");
    }

    /// <summary>Records read.</summary>
    public long Consumed => Volatile.Read(ref _consumedTotal);

    /// <summary>Records applied and journaled.</summary>
    public long Applied => Volatile.Read(ref _appliedTotal);

    /// <summary>Records dropped because their offset was already applied.</summary>
    public long DuplicatesRedelivered => Volatile.Read(ref _redelivered);

    /// <summary>Records dropped because their business event id was already applied.</summary>
    public long DuplicatesRepublished => Volatile.Read(ref _republished);

    /// <summary>Poison records set aside.</summary>
    public long DeadLettered => Volatile.Read(ref _deadLetteredTotal);

    /// <summary>Dead letters stored in reduced form because the store refused their data as read.</summary>
    public long DeadLettersReduced => Volatile.Read(ref _deadLettersReducedTotal);

    /// <summary>
    /// Dead letters the store (even reduced) or the dead-letter topic refused for good: each is
    /// recorded only by its error log entry (event 3014: position, reason, raw bytes) and this
    /// count, and its partition moved on.
    /// </summary>
    public long DeadLettersUnwritable => Volatile.Read(ref _deadLettersUnwritableTotal);

    /// <summary>Successful offset commits.</summary>
    public long Commits => Volatile.Read(ref _commitsTotal);

    /// <summary>Failed offset commits (retried at the next interval).</summary>
    public long CommitFailures => Volatile.Read(ref _commitFailures);

    /// <summary>Partition rewinds.</summary>
    public long Replays => Volatile.Read(ref _replaysTotal);

    /// <summary>Deliveries ignored because a rewind or a revocation superseded them.</summary>
    public long Stale => Volatile.Read(ref _stale);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    /// <summary>Shards handed off (any outcome).</summary>
    public long HandOffs => Volatile.Read(ref _handOffsTotal);

    internal void ObserveFlows(Func<(long InFlight, long Paused)> gauges) => _gauges[0] = gauges;

    internal void ObserveLag(Func<IEnumerable<Measurement<long>>> lag) => _lag[0] = lag;

    internal void RecordHandOff(string outcome)
    {
        Interlocked.Increment(ref _handOffsTotal);
        _handOffs.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }

    internal void RecordConsumed(string topic)
    {
        Interlocked.Increment(ref _consumedTotal);
        _consumed.Add(1, new KeyValuePair<string, object?>("topic", topic));
    }

    internal void RecordApplied(string topic, DateTimeOffset recordTimestamp, DateTimeOffset now, TimeSpan sinceRead)
    {
        _processing.Record(sinceRead.TotalMilliseconds, new KeyValuePair<string, object?>("topic", topic));
        Interlocked.Increment(ref _appliedTotal);
        _applied.Add(1, new KeyValuePair<string, object?>("topic", topic));
        _latency.Record(Math.Max(0, (now - recordTimestamp).TotalMilliseconds), new KeyValuePair<string, object?>("topic", topic));
    }

    internal void RecordDuplicate(bool republished)
    {
        Interlocked.Increment(ref republished ? ref _republished : ref _redelivered);
        _duplicates.Add(1, new KeyValuePair<string, object?>("kind", republished ? "republished" : "redelivered"));
    }

    internal void RecordDeadLettered(DeadLetterReason reason)
    {
        Interlocked.Increment(ref _deadLetteredTotal);
        _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
    }

    internal void RecordDeadLetterReduced()
    {
        Interlocked.Increment(ref _deadLettersReducedTotal);
        _deadLettersReduced.Add(1);
    }

    internal void RecordDeadLetterUnwritable(string target)
    {
        Interlocked.Increment(ref _deadLettersUnwritableTotal);
        _deadLettersUnwritable.Add(1, new KeyValuePair<string, object?>("target", target));
    }

    internal void RecordCommit(bool ok)
    {
        Interlocked.Increment(ref ok ? ref _commitsTotal : ref _commitFailures);
        _commits.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));
    }

    internal void RecordReplay()
    {
        Interlocked.Increment(ref _replaysTotal);
        _replays.Add(1);
    }

    internal void RecordStale() => Interlocked.Increment(ref _stale);
}
