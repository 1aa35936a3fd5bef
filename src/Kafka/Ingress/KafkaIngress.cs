using System.Collections.Concurrent;
using Confluent.Kafka;
using Coordinator.Actors;
using Coordinator.Actors.Persistence;
using Coordinator.Actors.Sharding;
using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.Egress;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// A member of the coordinator's consumer group that feeds the records of its assigned
/// partitions to their entities: shard = partition, so the node owning a partition owns its
/// entities.
/// <list type="bullet">
/// <item><b>Order</b>: one thread reads and dispatches each partition in offset order through
/// the topic's shard region, so every entity sees its records in order.</item>
/// <item><b>Bounded</b>: at most <see cref="IngressSettings.MaxInFlightPerPartition"/> records
/// of a partition are in flight; then the partition is paused until half have completed.</item>
/// <item><b>Commits</b>: each partition's watermark (below it every record is journaled or
/// dead-lettered) is committed every <see cref="IngressSettings.CommitInterval"/> and on
/// revocation, never beyond.</item>
/// <item><b>Poison</b>: records that break their contract go to the dead-letter store (and
/// topic) and the partition keeps flowing.</item>
/// <item><b>Failures</b>: when an entity cannot journal a record the partition is rewound to
/// its watermark; entities drop what they already applied.</item>
/// <item><b>Rebalancing</b>: a revoked partition's in-flight records finish, its watermark is
/// committed and its shard handed off before it is given up; a newly assigned one is served at
/// once and its entities recover from the journal on their first record.</item>
/// </list>
/// </summary>
public sealed class KafkaIngress : IFlowSignals, IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly KafkaOptions _options;
    private readonly IngressSettings _settings;
    private readonly IReadOnlyDictionary<string, IActorRef> _regions;
    private readonly IngressExtension _ingress;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<TopicPartition, PartitionFlow> _flows = [];
    private readonly ConcurrentQueue<FlowSignal> _signals = new();
    private readonly List<FlowSignal> _deferred = [];
    private static readonly TimeSpan ThrottledPollInterval = TimeSpan.FromMilliseconds(100);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DeadLetterWriter _deadLetters;
    private readonly KafkaPublisher? _publisher;
    private readonly IDisposable _deadLetterSubscription;
    private IConsumer<byte[], byte[]>? _consumer;
    private volatile TopicPartition[] _assignment = [];
    private volatile bool _stopping;
    private volatile bool _aborting;
    private bool _watermarksMoved;
    private int _wakePending;
    private long _inFlight;
    private long _lastPoll;
    private long _paused;

    /// <summary>Creates the ingress; <see cref="Start"/> joins the group.</summary>
    /// <param name="system">The actor system whose entities apply the records (with persistence started and <see cref="IngressExtension"/> registered).</param>
    /// <param name="options">Validated Kafka options (group id, servers, client settings).</param>
    /// <param name="settings">Pacing and commits.</param>
    /// <param name="regions">The shard region of each consumed topic (see <see cref="IngressRegion"/>); one region per topic.</param>
    /// <param name="deadLetters">Where poison records go.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    public KafkaIngress(ActorSystem system, KafkaOptions options, IngressSettings settings, IReadOnlyDictionary<string, IActorRef> regions, IDeadLetterStore deadLetters, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(deadLetters);
        var errors = settings.Validate();
        if (regions.Count == 0)
        {
            errors = [.. errors, "The ingress has no topics: give it the shard region of each topic to consume."];
        }

        if (regions.Values.Distinct().Count() != regions.Count)
        {
            errors = [.. errors, "Two topics share a shard region; a shard is one topic's partition, so give each topic its own region."];
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(settings));
        }

        _system = system;
        _options = options;
        _settings = settings;
        _regions = regions;
        _ingress = IngressExtension.Get(system);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KafkaIngress>();
        _time = system.TimeProvider;
        if (settings.DeadLetterTopic is not null)
        {
            _publisher = new KafkaPublisher(options, _logger);
        }

        _deadLetters = new DeadLetterWriter(deadLetters, _publisher, settings.DeadLetterTopic, _ingress.Metrics, _time, _logger);

        // A delivery that could not reach its entity (it had just stopped after a failed write,
        // or its mailbox was full) must not be lost: rewind its partition as for a failed write.
        _deadLetterSubscription = system.EventStream.Subscribe<Actors.Events.DeadLetter>(letter =>
        {
            if (letter.Message is IngressDelivery delivery)
            {
                delivery.Fail();
            }
        });
        _ingress.Metrics.ObserveFlows(() => (Interlocked.Read(ref _inFlight), Interlocked.Read(ref _paused)));
    }

    /// <summary>The partitions this node owns now.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _assignment;

    /// <summary>Records dispatched and not yet journaled or dead-lettered.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Partitions paused at their hard cap (<see cref="IngressSettings.MaxInFlightPerPartition"/>).</summary>
    public long PausedPartitions => Interlocked.Read(ref _paused);

    /// <summary>Completes when the ingress has stopped; faults if the consumer failed fatally.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Joins the consumer group and starts consuming on a dedicated thread.</summary>
    public void Start()
    {
        if (_consumer is not null)
        {
            throw new InvalidOperationException("The ingress is started already.");
        }

        var config = _options.ConsumerConfig();
        config.EnablePartitionEof = false;

        // librdkafka commits the offsets this ingress stores, which are only ever watermarks
        // (see StoreWatermarks); enable.auto.offset.store stays off.
        config.EnableAutoCommit = true;
        config.AutoCommitIntervalMs = (int)Math.Max(10, _settings.CommitInterval.TotalMilliseconds);
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .SetOffsetsCommittedHandler(OnCommitted)
            .SetErrorHandler((_, error) => KafkaLog.ConsumerError(_logger, error.Reason, error.Code.ToString()))
            .SetLogHandler((_, message) => KafkaLog.Client(_logger, message))
            .Build();
        var thread = new Thread(Run) { IsBackground = true, Name = $"ingress:{_options.GroupId}" };
        thread.Start();
    }

    /// <summary>Leaves the group gracefully: in-flight records finish, watermarks are committed, shards are handed off.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        await Completion.ConfigureAwait(false);
        await _deadLetters.StopAsync(abort: false).ConfigureAwait(false);
    }

    /// <summary>Stops at once as a crash would: nothing more is committed, in-flight work is abandoned (for tests and fatal errors).</summary>
    public async Task AbortAsync()
    {
        _aborting = true;
        _stopping = true;
        await _deadLetters.StopAsync(abort: true).ConfigureAwait(false);
        await Completion.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_consumer is not null && !Completion.IsCompleted)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _deadLetterSubscription.Dispose();
        await _deadLetters.DisposeAsync().ConfigureAwait(false);
        _publisher?.Dispose();
        _wake.Dispose();
    }

    void IFlowSignals.Post(FlowSignal signal)
    {
        _signals.Enqueue(signal);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wake.Release();
        }
    }

    private void Run()
    {
        var consumer = _consumer!;
        try
        {
            consumer.Subscribe(_regions.Keys);
            while (!_stopping)
            {
                DrainSignals(consumerCalls: true);
                if (_watermarksMoved)
                {
                    StoreWatermarks();
                }

                // Over the node's budget: wait for completions instead of reading. librdkafka drops a
                // paused partition's prefetched records and fetches again only when its broker
                // thread next wakes, up to a second later when every partition is paused, so pausing
                // is kept for the per-partition hard cap. The consumer is still polled every
                // ThrottledPollInterval, to serve rebalances; what that poll reads is dispatched.
                if (Interlocked.Read(ref _inFlight) >= _settings.MaxInFlight && _time.GetElapsedTime(_lastPoll) is var sincePoll && sincePoll < ThrottledPollInterval)
                {
                    _wake.Wait(ThrottledPollInterval - sincePoll);
                    continue;
                }

                _lastPoll = _time.GetTimestamp();

                // Short polls while partitions wait for completions, so they resume promptly.
                var poll = Interlocked.Read(ref _paused) > 0 || !_signals.IsEmpty ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(50);
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(poll);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    KafkaLog.ConsumerError(_logger, ex.Error.Reason, ex.Error.Code.ToString());
                    continue;
                }

                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    Handle(result);
                }
            }

            consumer.Close(); // revokes the assignment through OnRevoked, which finishes and commits
            _completion.TrySetResult();
        }
        catch (Exception ex)
        {
            if (ex is KafkaException kafka)
            {
                KafkaLog.Fatal(_logger, kafka.Error.Reason);
            }

            _completion.TrySetException(ex);
        }
        finally
        {
            consumer.Dispose();
        }
    }

    private void Handle(ConsumeResult<byte[], byte[]> result)
    {
        if (!_flows.TryGetValue(result.TopicPartition, out var flow) || flow.Revoking)
        {
            return; // not (or no longer) ours
        }

        if (flow.RewindPending)
        {
            // An entity failed a record: serve the rewind first. This record was read before the
            // seek, so it is read again after it.
            while (flow.RewindPending)
            {
                DrainSignals(consumerCalls: true);
                if (flow.RewindPending)
                {
                    Thread.Yield(); // the failing thread is between marking the flow and posting the signal
                }
            }

            return;
        }

        var offset = result.Offset.Value;
        if (flow.NextOffset is { } next && offset < next)
        {
            return; // already dispatched in this generation
        }

        _ingress.Metrics.RecordConsumed(flow.Topic);
        var generation = flow.Generation;
        flow.Dispatch(offset);
        Interlocked.Increment(ref _inFlight);
        var message = result.Message;
        var timestamp = message.Timestamp.Type == TimestampType.NotAvailable ? _time.GetUtcNow() : message.Timestamp.UtcDateTime;
        DecodedRecord? record = null;
        try
        {
            record = _ingress.Contracts.Decode(message.Key, message.Value);
        }
        catch (RecordContractException ex)
        {
            Poison(flow, generation, offset, message, ex.Reason, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A validator or converter that throws is a fault of ours, not of the record, but the
            // record cannot be judged: set it aside (replayable) rather than stop the partition.
            Poison(flow, generation, offset, message, DeadLetterReason.DecodingFailed, $"Reading the record under its contract threw {ex.GetType().FullName}: {ex.Message}. Fix the validator or converter, then replay the record from the dead-letter store.");
        }

        if (record is not null)
        {
            _regions[flow.Topic].Tell(new IngressDelivery(flow, generation, offset, record, timestamp, _time.GetTimestamp()), null);
        }

        if (!flow.Paused && (flow.InFlight >= _settings.MaxInFlightPerPartition || flow.Uncommitted >= _settings.MaxUncommittedPerPartition))
        {
            _consumer!.Pause([flow.TopicPartition]);
            flow.Paused = true;
            Interlocked.Increment(ref _paused);
        }
    }

    /// <summary>Sets a record aside in the dead-letter store; its key is kept as bytes and as text every store can hold.</summary>
    private void Poison(PartitionFlow flow, long generation, long offset, Message<byte[], byte[]> message, DeadLetterReason reason, string detail)
    {
        KafkaLog.Poison(_logger, flow.Topic, flow.Partition, offset, reason.ToString(), detail);
        _deadLetters.Post(DeadLetterWriter.Letter(flow.TopicPartition, offset, message, reason, detail, _options.GroupId, _time), flow, generation);
    }

    /// <summary>Applies completions; serves rewinds and resumes unless called inside a rebalance (<paramref name="consumerCalls"/> false), which defers them.</summary>
    private void DrainSignals(bool consumerCalls)
    {
        Interlocked.Exchange(ref _wakePending, 0);
        if (consumerCalls && _deferred.Count > 0)
        {
            foreach (var signal in _deferred)
            {
                _signals.Enqueue(signal);
            }

            _deferred.Clear();
        }

        var touched = false;
        while (_signals.TryDequeue(out var signal))
        {
            var flow = signal.Flow;
            if (!_flows.TryGetValue(flow.TopicPartition, out var current) || !ReferenceEquals(current, flow))
            {
                continue; // the partition was given up
            }

            if (signal.Rewind)
            {
                if (flow.Revoking)
                {
                    flow.Abandoned = true; // it is being given up: the new owner replays from the watermark
                }
                else if (!consumerCalls)
                {
                    _deferred.Add(signal);
                }
                else
                {
                    Rewind(flow);
                }

                continue;
            }

            if (signal.Generation != flow.Generation)
            {
                continue; // superseded by a rewind
            }

            var before = flow.InFlight;
            flow.Completed(signal.Offset);
            Interlocked.Add(ref _inFlight, flow.InFlight - before);
            touched = true;
        }

        if (touched && consumerCalls)
        {
            foreach (var flow in _flows.Values)
            {
                if (flow.Paused && flow.InFlight <= _settings.MaxInFlightPerPartition / 2 && flow.Uncommitted <= _settings.MaxUncommittedPerPartition / 2)
                {
                    Resume(flow);
                }
            }
        }

        _watermarksMoved |= touched;
    }

    private void Rewind(PartitionFlow flow)
    {
        var from = flow.Watermark ?? 0;
        Interlocked.Add(ref _inFlight, -flow.InFlight);
        flow.EndRewind(from);
        KafkaLog.Rewinding(_logger, flow.TopicPartition.ToString(), from);
        _consumer!.Seek(new TopicPartitionOffset(flow.TopicPartition, from));
        _ingress.Metrics.RecordReplay();
        if (flow.Paused)
        {
            Resume(flow);
        }
    }

    private void Resume(PartitionFlow flow)
    {
        _consumer!.Resume([flow.TopicPartition]);
        flow.Paused = false;
        Interlocked.Decrement(ref _paused);
    }

    /// <summary>
    /// Hands each advanced watermark to librdkafka, whose auto-commit sends the stored offsets
    /// every <see cref="IngressSettings.CommitInterval"/>. It knows the group's state, so it does
    /// not commit into a rebalance (a commit racing a new generation fails as "illegal
    /// generation", and librdkafka then drops the whole assignment as lost).
    /// </summary>
    private void StoreWatermarks()
    {
        _watermarksMoved = false;
        foreach (var flow in _flows.Values)
        {
            if (flow.Watermark is { } watermark && watermark > flow.Stored && !flow.Revoking)
            {
                try
                {
                    _consumer!.StoreOffset(new TopicPartitionOffset(flow.TopicPartition, watermark));
                    flow.Stored = watermark;
                }
                catch (KafkaException ex)
                {
                    KafkaLog.CommitFailed(_logger, ex);
                }
            }
        }
    }

    /// <summary>Commits the watermarks of <paramref name="flows"/> now (a revocation's final commit).</summary>
    private void Commit(IReadOnlyCollection<PartitionFlow> flows)
    {
        var offsets = flows.Where(f => f.Watermark is not null).Select(f => new TopicPartitionOffset(f.TopicPartition, f.Watermark!.Value)).ToList();
        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            // Stored first: with auto-commit on, librdkafka commits the stored offsets of revoked
            // partitions itself after the revocation handler returns (and on close), which would
            // move the committed offset back to the last watermark stored before.
            foreach (var offset in offsets)
            {
                _consumer!.StoreOffset(offset);
            }

            _consumer!.Commit(offsets);
            _ingress.Metrics.RecordCommit(ok: true);
        }
        catch (KafkaException ex)
        {
            KafkaLog.CommitFailed(_logger, ex);
            _ingress.Metrics.RecordCommit(ok: false);
        }
    }

    private void OnCommitted(IConsumer<byte[], byte[]> consumer, CommittedOffsets committed)
    {
        var failed = committed.Error.IsError || committed.Offsets.Any(o => o.Error.IsError);
        if (committed.Offsets.Count > 0)
        {
            _ingress.Metrics.RecordCommit(ok: !failed);
        }

        if (failed)
        {
            KafkaLog.CommitFailed(_logger, new KafkaException(committed.Error.IsError ? committed.Error : committed.Offsets.First(o => o.Error.IsError).Error));
        }
    }

    private void OnAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _flows[partition] = new PartitionFlow(partition, this);
        }

        _assignment = [.. _flows.Keys];
        KafkaLog.Assigned(_logger, string.Join(", ", partitions));
    }

    private void OnRevoked(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions) => GiveUp(partitions, lost: false);

    private void OnLost(IConsumer<byte[], byte[]> consumer, List<TopicPartitionOffset> partitions) => GiveUp(partitions, lost: true);

    private void GiveUp(List<TopicPartitionOffset> partitions, bool lost)
    {
        var flows = partitions.Select(p => _flows.GetValueOrDefault(p.TopicPartition)).OfType<PartitionFlow>().ToList();
        foreach (var flow in flows)
        {
            flow.Revoking = true;
        }

        if (!lost && !_aborting)
        {
            // Let the entities finish what is in flight, then commit exactly up to it.
            var deadline = _time.GetTimestamp() + ToTimestampTicks(_settings.RevokeTimeout);
            while (flows.Any(f => f.InFlight > 0 && !f.Abandoned) && _time.GetTimestamp() < deadline && !_aborting)
            {
                _wake.Wait(TimeSpan.FromMilliseconds(50));
                DrainSignals(consumerCalls: false);
            }

            foreach (var flow in flows.Where(f => f.InFlight > 0 && !f.Abandoned))
            {
                KafkaLog.RevokeTimedOut(_logger, flow.TopicPartition.ToString(), flow.InFlight, _settings.RevokeTimeout, flow.Watermark);
            }

            Commit(flows);
        }

        foreach (var flow in flows)
        {
            flow.Retire();
            Interlocked.Add(ref _inFlight, -flow.InFlight);
            if (flow.Paused)
            {
                Interlocked.Decrement(ref _paused);
            }

            _flows.Remove(flow.TopicPartition);
        }

        _assignment = [.. _flows.Keys];
        if (!_aborting)
        {
            // Stop the shard's entities: a later owner's writes must not meet stale in-memory state here.
            var timeout = _settings.HandOffTimeout;
            var handOffs = flows.Select(f => (Flow: f, Task: _regions[f.Topic].Ask<ShardStopped>(new HandOffShard(f.Partition), timeout))).ToList();
            foreach (var (flow, task) in handOffs)
            {
                try
                {
                    // Wait returns false on its own timeout; the Ask's timeout faults the task instead.
                    if (!task.Wait(timeout))
                    {
                        KafkaLog.HandOffTimedOut(_logger, flow.TopicPartition.ToString(), timeout);
                    }
                }
                catch (AggregateException ex) when (ex.InnerException is AskTimeoutException)
                {
                    KafkaLog.HandOffTimedOut(_logger, flow.TopicPartition.ToString(), timeout);
                }
                catch (AggregateException ex)
                {
                    KafkaLog.HandOffFailed(_logger, ex.InnerException ?? ex, flow.TopicPartition.ToString());
                }
            }
        }

        var names = string.Join(", ", partitions.Select(p => p.TopicPartition));
        if (lost)
        {
            KafkaLog.Lost(_logger, names);
        }
        else
        {
            KafkaLog.Revoked(_logger, names);
        }
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
