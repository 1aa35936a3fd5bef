using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.Egress;
using Coordinator.Kafka.Ingress;
using Coordinator.Persistence.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Kafka.Sharding;

/// <summary>A consumed topic, the record region its entities live in, and the region's type name.</summary>
/// <param name="Topic">The Kafka topic.</param>
/// <param name="TypeName">The region's type name (its external shard allocation is kept under it).</param>
/// <param name="Region">The region (see <see cref="RecordSharding.StartRegion"/>).</param>
public sealed record RecordTopic(string Topic, string TypeName, IActorRef Region);

/// <summary>
/// One node's Kafka ingress as an Akka.Streams graph into Akka.Cluster.Sharding, with each
/// partition's shard placed on the node that consumes it:
/// <code>
///  consume thread ──► ChannelSource ─► decode ─► admit ─► SelectAsyncUnordered(ask region | dead-letter) ─► complete
///  (Confluent consumer;    (bounded)     (contract) (track)   (bounded by MaxInFlight)                       (watermark,
///   rebalances, seeks,                                                                                        rewinds)
///   pauses, commits)
/// </code>
/// <list type="bullet">
/// <item><b>Order</b>: one consumer per node reads each partition in offset order; the graph
/// sends in that order, and Akka keeps the order from one sender to one entity.</item>
/// <item><b>Backpressure</b>: the graph's demand. At <see cref="IngressSettings.MaxInFlight"/>
/// unanswered asks it stops pulling, the bounded channel fills and the consume thread stops
/// reading; it still polls, to serve rebalances. Pausing stays the last resort (a partition at
/// its hard cap, or the channel blocked for long), because librdkafka drops a paused
/// partition's prefetched records and refetches them only when its broker thread next wakes.
/// The per-partition caps are hard: records already read past one are dropped, and read again
/// (a seek, not a rewind: same generation) once half of the partition's records completed.</item>
/// <item><b>Commits</b>: each partition's watermark (below it every record is journaled or
/// dead-lettered) is stored for librdkafka's auto-commit, and committed on revocation, never
/// beyond.</item>
/// <item><b>Failures</b>: a failed journal write, a delivery that reached no entity, or an
/// ask that timed out rewinds the partition to its watermark under a new generation; the
/// <see cref="RecordGate"/> keeps every delivery of the old one from being applied.</item>
/// <item><b>Poison</b>: records that break their contract, and records whose data the journal
/// refuses, go to the dead-letter store (and topic) with the reason; the partition flows.</item>
/// <item><b>Rebalancing</b>: an assigned partition's shard is located here
/// (<c>ExternalShardAllocation</c>) and its records wait until no other node hosts it; a revoked
/// one finishes what is in flight, commits, hands its entities off, then is given up; a lost one
/// is handed off without a commit.</item>
/// </list>
/// </summary>
public sealed class KafkaShardingIngress : IAsyncDisposable
{
    private const int ChannelCapacity = 512;
    private const int OverflowLimit = 1_024;
    private static readonly TimeSpan BlockedPollInterval = TimeSpan.FromMilliseconds(100);
    private readonly ActorSystem _system;
    private readonly KafkaOptions _options;
    private readonly IngressSettings _settings;
    private readonly Dictionary<string, (RecordTopic Topic, ShardPlacement Placement)> _topics;
    private readonly RecordIngress _ingress;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<TopicPartition, PartitionTrack> _tracks = [];
    private readonly ConcurrentQueue<(PartitionTrack Track, long From, bool Rewind)> _seeks = new();
    private readonly Channel<Consumed> _channel = Channel.CreateBounded<Consumed>(new BoundedChannelOptions(ChannelCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TaskCompletionSource _consumerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DeadLetterWriter _deadLetters;
    private readonly KafkaPublisher? _publisher;
    private readonly Queue<Consumed> _overflow = new();
    private IConsumer<byte[], byte[]>? _consumer;
    private Task? _stream;
    private volatile PartitionTrack[] _assignment = [];
    private volatile bool _stopping;
    private volatile bool _aborting;
    private bool _allPaused;
    private long _inFlight;
    private long _lastLag;
    private long _processedElsewhere;
    private Task? _stop;

    /// <summary>Creates the ingress; <see cref="Start"/> joins the group.</summary>
    /// <param name="system">A cluster member with <see cref="RecordIngress"/> registered and the regions started.</param>
    /// <param name="options">Validated Kafka options (group id, servers, client settings).</param>
    /// <param name="settings">Pacing and commits.</param>
    /// <param name="topics">Each consumed topic with its region; one region per topic.</param>
    /// <param name="deadLetters">Where poison records go.</param>
    /// <param name="loggerFactory">Logging; null for none.</param>
    public KafkaShardingIngress(ActorSystem system, KafkaOptions options, IngressSettings settings, IReadOnlyList<RecordTopic> topics, IDeadLetterStore deadLetters, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(deadLetters);
        var errors = settings.Validate().ToList();
        if (topics.Count == 0)
        {
            errors.Add("The ingress has no topics: give it the record region of each topic to consume.");
        }

        if (topics.Select(t => t.Region).Distinct().Count() != topics.Count || topics.Select(t => t.Topic).Distinct(StringComparer.Ordinal).Count() != topics.Count)
        {
            errors.Add("Two topics share a record region (or a topic is listed twice); a shard is one topic's partition, so give each topic its own region.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(settings));
        }

        _system = system;
        _options = options;
        _settings = settings;
        _topics = topics.ToDictionary(t => t.Topic, t => (t, new ShardPlacement(system, t.TypeName, t.Region)), StringComparer.Ordinal);
        _ingress = RecordIngress.Get(system);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KafkaShardingIngress>();
        _time = _ingress.Time;
        if (settings.DeadLetterTopic is not null)
        {
            _publisher = new KafkaPublisher(options, _logger);
        }

        _deadLetters = new DeadLetterWriter(deadLetters, _publisher, settings.DeadLetterTopic, _ingress.Metrics, _time, _logger);
        _ingress.Metrics.ObserveFlows(() => (Interlocked.Read(ref _inFlight), _assignment.Count(t => t.Paused)));
        _ingress.Metrics.ObserveLag(() => _assignment.Select(t => new Measurement<long>(t.Lag, new KeyValuePair<string, object?>("topic", t.Topic), new KeyValuePair<string, object?>("partition", t.Partition))));
    }

    /// <summary>The partitions this node holds now.</summary>
    public IReadOnlyList<TopicPartition> Assignment => [.. _assignment.Select(t => t.TopicPartition)];

    /// <summary>Each held partition with its watermark, records in flight, records not yet read, and whether it is paused.</summary>
    public IReadOnlyList<PartitionStatus> Partitions => [.. _assignment.Select(t => new PartitionStatus(t.Topic, t.Partition, t.Watermark, t.InFlight, t.Lag, t.Paused))];

    /// <summary>Records answered by an entity on another node (a shard not yet handed over here); zero while shards follow partitions.</summary>
    public long ProcessedElsewhere => Interlocked.Read(ref _processedElsewhere);

    /// <summary>Records dispatched and not yet journaled or dead-lettered.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Whether dead letters cannot be recorded now (the store or topic is failing; consumption waits on it).</summary>
    public bool DeadLettersFailing => _deadLetters.Failing;

    /// <summary>
    /// Dead letters refused for good for their data (by the store even in reduced form, or by the
    /// dead-letter topic) since the ingress's actor system started: each was logged at error
    /// level with its position and raw bytes (event 3014), which is then its only record, and its
    /// partition moved on.
    /// </summary>
    public long DeadLettersUnwritable => _ingress.Metrics.DeadLettersUnwritable;

    /// <summary>Completes when the ingress has stopped; faults when the consumer or the graph failed.</summary>
    public Task Completion => Task.WhenAll(_consumerDone.Task, _stream ?? Task.CompletedTask);

    /// <summary>Joins the consumer group, starts the consume thread and runs the graph.</summary>
    public void Start()
    {
        if (_consumer is not null)
        {
            throw new InvalidOperationException("The ingress is started already.");
        }

        var config = _options.ConsumerConfig();
        config.EnablePartitionEof = false;

        // librdkafka commits the offsets this ingress stores, which are only ever watermarks;
        // enable.auto.offset.store stays off.
        config.EnableAutoCommit = true;
        config.AutoCommitIntervalMs = (int)Math.Max(10, _settings.CommitInterval.TotalMilliseconds);
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler((_, partitions) => GiveUp(partitions, lost: false))
            .SetPartitionsLostHandler((_, partitions) => GiveUp(partitions, lost: true))
            .SetOffsetsCommittedHandler(OnCommitted)
            .SetErrorHandler((_, error) => KafkaLog.ConsumerError(_logger, error.Reason, error.Code.ToString()))
            .SetLogHandler((_, message) => KafkaLog.Client(_logger, message))
            .Build();
        _stream = RunGraph();
        var thread = new Thread(Consume) { IsBackground = true, Name = $"ingress:{_options.GroupId}" };
        thread.Start();
    }

    /// <summary>Leaves the group gracefully: in-flight records finish, watermarks are committed, shards are handed off.</summary>
    public Task StopAsync()
    {
        lock (_channel)
        {
            return _stop ??= StopCoreAsync();
        }
    }

    private async Task StopCoreAsync()
    {
        _stopping = true;
        await Completion.ConfigureAwait(false);
        await _deadLetters.StopAsync(abort: false).ConfigureAwait(false);
    }

    /// <summary>Stops at once as a crash would: nothing more is committed or handed off, in-flight work is abandoned (for tests and fatal errors).</summary>
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

        await _deadLetters.DisposeAsync().ConfigureAwait(false);
        _publisher?.Dispose();
    }

    private Task<Akka.Done> RunGraph()
    {
        var materializer = _system.Materializer(namePrefix: "ingress");
        return ChannelSource.FromReader(_channel.Reader)
            .Select(Decode)
            .Where(Admit)
            .SelectAsyncUnordered(_settings.MaxInFlight, DispatchAsync)
            .RunWith(Sink.ForEach<Outcome>(Complete), materializer)
            .ContinueWith(
                t =>
                {
                    if (t.IsFaulted)
                    {
                        KafkaLog.Fatal(_logger, $"the ingress graph failed: {t.Exception!.GetBaseException().Message}");
                        _stopping = true;
                    }

                    return t;
                },
                TaskScheduler.Default).Unwrap();
    }

    /// <summary>Reads the record under its contract; a record that breaks it (or whose validator throws) becomes a dead letter.</summary>
    private Inbound Decode(Consumed consumed)
    {
        _ingress.Metrics.RecordConsumed(consumed.Track.Topic);
        var message = consumed.Result.Message;
        try
        {
            return new Inbound(consumed, _ingress.Contracts.Decode(message.Key, message.Value), null, null);
        }
        catch (RecordContractException ex)
        {
            return new Inbound(consumed, null, ex.Reason, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A validator or converter that throws is a fault of ours, not of the record, but the
            // record cannot be judged: set it aside (replayable) rather than stop the partition.
            return new Inbound(consumed, null, DeadLetterReason.DecodingFailed, $"Reading the record under its contract threw {ex.GetType().FullName}: {ex.Message}. Fix the validator or converter, then replay the record from the dead-letter store.");
        }
    }

    private bool Admit(Inbound inbound)
    {
        var consumed = inbound.Consumed;
        if (!consumed.Track.TryAdmit(consumed.Epoch, consumed.Result.Offset.Value, _settings.MaxInFlightPerPartition, _settings.MaxUncommittedPerPartition, out var generation, out var refused))
        {
            return false;
        }

        inbound.Generation = generation;
        if (refused)
        {
            inbound.Reason = DeadLetterReason.JournalRefused;
            inbound.Detail ??= "The journal refused the record's data before; it is set aside again.";
        }

        Interlocked.Increment(ref _inFlight);
        return true;
    }

    private async Task<Outcome> DispatchAsync(Inbound inbound)
    {
        var consumed = inbound.Consumed;
        var track = consumed.Track;
        var offset = consumed.Result.Offset.Value;
        if (inbound.Record is not { } record)
        {
            await DeadLetterAsync(inbound, inbound.Reason!.Value, inbound.Detail!).ConfigureAwait(false);
            return new Outcome(inbound, RecordOutcome.Applied);
        }

        var message = consumed.Result.Message;
        var delivery = new RecordDelivery(track.Topic, track.Partition, offset, track.Id, inbound.Generation, record.EntityId, record.EventId, record.Type, record.Version, record.RawData, message.Timestamp.Type == TimestampType.NotAvailable ? _time.GetUtcNow() : message.Timestamp.UtcDateTime)
        {
            Decoded = record.Data,
            ReadAt = consumed.ReadAt,
        };
        RecordAck ack;
        try
        {
            ack = await _topics[track.Topic].Topic.Region.Ask<RecordAck>(delivery, _settings.DeliveryTimeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            _ingress.Gate.Supersede(track.Id, inbound.Generation);
            return new Outcome(inbound, RecordOutcome.Failed);
        }

        if (!string.Equals(ack.Node, _ingress.Address, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _processedElsewhere);
        }

        if (ack.Outcome == RecordOutcome.Refused)
        {
            track.Refuse(offset);
            await DeadLetterAsync(inbound, DeadLetterReason.JournalRefused, $"The journal refused the record's data: {ack.Detail}").ConfigureAwait(false);
            return new Outcome(inbound, RecordOutcome.Applied);
        }

        return new Outcome(inbound, ack.Outcome);
    }

    private Task DeadLetterAsync(Inbound inbound, DeadLetterReason reason, string detail)
    {
        var consumed = inbound.Consumed;
        var offset = consumed.Result.Offset.Value;
        KafkaLog.Poison(_logger, consumed.Track.Topic, consumed.Track.Partition, offset, reason.ToString(), detail);
        return _deadLetters.WriteAsync(DeadLetterWriter.Letter(consumed.Track.TopicPartition, offset, consumed.Result.Message, reason, detail, _options.GroupId, _time));
    }

    private void Complete(Outcome outcome)
    {
        Interlocked.Decrement(ref _inFlight);
        var inbound = outcome.Inbound;
        var track = inbound.Consumed.Track;
        switch (outcome.Result)
        {
            case RecordOutcome.Applied or RecordOutcome.Redelivered or RecordOutcome.Republished:
                if (track.Complete(inbound.Generation, inbound.Consumed.Result.Offset.Value, _settings.MaxInFlightPerPartition, _settings.MaxUncommittedPerPartition) is { } resumeAt)
                {
                    _seeks.Enqueue((track, resumeAt, Rewind: false)); // room again under the cap: read what was dropped past it
                }

                break;
            default:
                // Failed, undeliverable, timed out, or stale with the current generation (its node's
                // gate saw a failure whose answer has not come yet): rewind once per generation.
                _ingress.Gate.Supersede(track.Id, inbound.Generation);
                if (track.BeginRewind(inbound.Generation) is { } from)
                {
                    _seeks.Enqueue((track, from, Rewind: true));
                }

                break;
        }
    }

    private void Consume()
    {
        var consumer = _consumer!;
        try
        {
            consumer.Subscribe(_topics.Keys);
            Consumed? pending = null;
            var blockedSince = 0L;
            while (!_stopping)
            {
                Housekeeping(consumer);
                if (pending is not null || _overflow.Count > 0)
                {
                    // The graph is not pulling: wait for room, but keep polling the consumer (it
                    // serves rebalances and heartbeats); what such a poll reads waits in order.
                    pending ??= _overflow.Dequeue();
                    if (_channel.Writer.TryWrite(pending))
                    {
                        pending = null;
                        blockedSince = 0;
                        continue;
                    }

                    blockedSince = blockedSince == 0 ? _time.GetTimestamp() : blockedSince;
                    if (_time.GetElapsedTime(blockedSince) < BlockedPollInterval)
                    {
                        _channel.Writer.WaitToWriteAsync().AsTask().Wait(TimeSpan.FromMilliseconds(10));
                        continue;
                    }

                    // Still blocked: poll once (one record at most) every BlockedPollInterval, so the
                    // group keeps this member; pause everything only if that overflow ever grows
                    // to OverflowLimit (the graph stuck for minutes), because a paused partition
                    // loses librdkafka's prefetch and resumes up to a second late.
                    if (_overflow.Count >= OverflowLimit)
                    {
                        PauseAll(consumer, pause: true);
                    }

                    blockedSince = _time.GetTimestamp();
                    if (ConsumeOne(consumer, TimeSpan.Zero) is { } late)
                    {
                        _overflow.Enqueue(late);
                    }

                    continue;
                }

                PauseAll(consumer, pause: false);
                var poll = _seeks.IsEmpty && !_assignment.Any(t => t.WantPaused != t.Paused) ? TimeSpan.FromMilliseconds(20) : TimeSpan.Zero;
                if (ConsumeOne(consumer, poll) is { } item && !_channel.Writer.TryWrite(item))
                {
                    pending = item;
                }
            }

            consumer.Close(); // revokes the assignment through GiveUp, which finishes and commits
            _consumerDone.TrySetResult();
        }
        catch (Exception ex)
        {
            if (ex is KafkaException kafka)
            {
                KafkaLog.Fatal(_logger, kafka.Error.Reason);
            }

            _consumerDone.TrySetException(ex);
        }
        finally
        {
            _channel.Writer.TryComplete();
            consumer.Dispose();
        }
    }

    private Consumed? ConsumeOne(IConsumer<byte[], byte[]> consumer, TimeSpan poll)
    {
        ConsumeResult<byte[], byte[]>? result;
        try
        {
            result = consumer.Consume(poll);
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            KafkaLog.ConsumerError(_logger, ex.Error.Reason, ex.Error.Code.ToString());
            return null;
        }

        if (result is not { IsPartitionEOF: false, Message: not null } || !_tracks.TryGetValue(result.TopicPartition, out var track))
        {
            return null;
        }

        track.ReadTo = result.Offset.Value + 1;
        return new Consumed(track, track.Epoch, result, _time.GetTimestamp());
    }

    /// <summary>Consume thread: serves rewinds, pauses and resumes, stores advanced watermarks, refreshes the lag.</summary>
    private void Housekeeping(IConsumer<byte[], byte[]> consumer)
    {
        while (_seeks.TryDequeue(out var seek))
        {
            if (!_tracks.TryGetValue(seek.Track.TopicPartition, out var current) || !ReferenceEquals(current, seek.Track))
            {
                continue; // given up meanwhile
            }

            if (seek.Rewind)
            {
                KafkaLog.Rewinding(_logger, seek.Track.TopicPartition.ToString(), seek.From);
                _ingress.Metrics.RecordReplay();
            }

            consumer.Seek(new TopicPartitionOffset(seek.Track.TopicPartition, seek.From));
            seek.Track.EndRewind();
        }

        foreach (var track in _assignment)
        {
            var paused = track.WantPaused || _allPaused;
            if (paused != track.Paused)
            {
                if (paused)
                {
                    consumer.Pause([track.TopicPartition]);
                }
                else
                {
                    consumer.Resume([track.TopicPartition]);
                }

                track.Paused = paused;
            }

            if (track.Watermark is { } watermark && watermark > track.Stored && !track.Revoking)
            {
                try
                {
                    consumer.StoreOffset(new TopicPartitionOffset(track.TopicPartition, watermark));
                    track.Stored = watermark;
                }
                catch (KafkaException ex)
                {
                    KafkaLog.CommitFailed(_logger, ex);
                }
            }
        }

        if (_time.GetElapsedTime(_lastLag) >= TimeSpan.FromSeconds(1))
        {
            _lastLag = _time.GetTimestamp();
            foreach (var track in _assignment)
            {
                var high = consumer.GetWatermarkOffsets(track.TopicPartition).High;
                if (high != Offset.Unset && track.ReadTo >= 0)
                {
                    track.Lag = Math.Max(0, high.Value - track.ReadTo);
                }
            }
        }
    }

    private void PauseAll(IConsumer<byte[], byte[]> consumer, bool pause)
    {
        if (_allPaused != pause)
        {
            _allPaused = pause;
            Housekeeping(consumer);
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

    /// <summary>Creates the partitions' tracks and places their shards here before any of their records is read.</summary>
    private void OnAssigned(IConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _tracks[partition] = new PartitionTrack(partition);
        }

        _assignment = [.. _tracks.Values];
        KafkaLog.Assigned(_logger, string.Join(", ", partitions));
        foreach (var group in partitions.GroupBy(p => p.Topic))
        {
            var placement = _topics[group.Key].Placement;
            var ids = group.Select(p => p.Partition.Value).ToList();
            try
            {
                if (!placement.ClaimAsync(ids, _settings.HandOffTimeout).GetAwaiter().GetResult())
                {
                    KafkaLog.ClaimTimedOut(_logger, group.Key, string.Join(",", ids), _settings.HandOffTimeout);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or AskTimeoutException or Akka.Cluster.Sharding.External.ClientTimeoutException)
            {
                KafkaLog.ClaimTimedOut(_logger, group.Key, string.Join(",", ids), _settings.HandOffTimeout);
            }
        }
    }

    private void GiveUp(List<TopicPartitionOffset> partitions, bool lost)
    {
        var tracks = partitions.Select(p => _tracks.GetValueOrDefault(p.TopicPartition)).OfType<PartitionTrack>().ToList();
        foreach (var track in tracks)
        {
            track.BeginRevoke();
        }

        if (!lost && !_aborting)
        {
            // Let the entities finish what is in flight, then commit exactly up to it.
            var deadline = _time.GetTimestamp() + (long)(_settings.RevokeTimeout.TotalSeconds * _time.TimestampFrequency);
            while (tracks.Any(t => t.InFlight > 0 && !t.Abandoned) && _time.GetTimestamp() < deadline && !_aborting)
            {
                Thread.Sleep(5);
            }

            foreach (var track in tracks.Where(t => t.InFlight > 0 && !t.Abandoned))
            {
                KafkaLog.RevokeTimedOut(_logger, track.TopicPartition.ToString(), track.InFlight, _settings.RevokeTimeout, track.Watermark);
            }

            Commit(_consumer!, tracks);
        }

        foreach (var track in tracks)
        {
            _ingress.Gate.Retire(track.Id); // whatever is still on its way is stale from now on
            _tracks.Remove(track.TopicPartition);
        }

        _assignment = [.. _tracks.Values];
        if (!_aborting)
        {
            foreach (var group in tracks.GroupBy(t => t.Topic))
            {
                var ids = group.Select(t => t.Partition).ToList();
                var outcome = "lost";
                try
                {
                    var done = _topics[group.Key].Placement.HandOffAsync(ids, _settings.HandOffTimeout).GetAwaiter().GetResult();
                    outcome = !done ? "timed_out" : lost ? "lost" : "ok";
                }
                catch (Exception ex) when (ex is TimeoutException or AskTimeoutException or TaskCanceledException)
                {
                    outcome = "timed_out";
                }

                foreach (var id in ids)
                {
                    _ingress.Metrics.RecordHandOff(outcome);
                    if (outcome == "timed_out")
                    {
                        KafkaLog.HandOffTimedOut(_logger, $"{group.Key} [[{id}]]", _settings.HandOffTimeout);
                    }
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

    private void Commit(IConsumer<byte[], byte[]> consumer, IReadOnlyCollection<PartitionTrack> tracks)
    {
        var final = tracks.Select(t => (Track: t, t.Watermark)).Where(t => t.Watermark is not null).Select(t => (t.Track, Offset: new TopicPartitionOffset(t.Track.TopicPartition, t.Watermark!.Value))).ToList();
        if (final.Count == 0)
        {
            return;
        }

        try
        {
            // Stored first: with auto-commit on, librdkafka commits the stored offsets of revoked
            // partitions itself after the revocation handler returns (and on close), which would
            // move the committed offset back to the last watermark Housekeeping stored.
            foreach (var (track, offset) in final)
            {
                consumer.StoreOffset(offset);
                track.Stored = offset.Offset.Value;
            }

            consumer.Commit(final.Select(f => f.Offset));
            _ingress.Metrics.RecordCommit(ok: true);
        }
        catch (KafkaException ex)
        {
            KafkaLog.CommitFailed(_logger, ex);
            _ingress.Metrics.RecordCommit(ok: false);
        }
    }

    /// <summary>A record as the consume thread read it, with the track and seek epoch it was read under.</summary>
    private sealed record Consumed(PartitionTrack Track, long Epoch, ConsumeResult<byte[], byte[]> Result, long ReadAt);

    /// <summary>A consumed record after its contract was applied: a record for its entity, or a dead letter.</summary>
    private sealed class Inbound(Consumed consumed, DecodedRecord? record, DeadLetterReason? reason, string? detail)
    {
        public Consumed Consumed { get; } = consumed;

        public DecodedRecord? Record { get; } = record;

        public DeadLetterReason? Reason { get; set; } = reason;

        public string? Detail { get; set; } = detail;

        public long Generation { get; set; }
    }

    private sealed record Outcome(Inbound Inbound, RecordOutcome Result);
}

/// <summary>One held partition as operators see it.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Partition">Partition (= shard).</param>
/// <param name="Watermark">The offset below which everything is journaled (what is committed); null before the first record.</param>
/// <param name="InFlight">Records sent to entities and not yet answered.</param>
/// <param name="Lag">Records not yet read.</param>
/// <param name="Paused">Whether the consumer has it paused.</param>
public sealed record PartitionStatus(string Topic, int Partition, long? Watermark, int InFlight, long Lag, bool Paused);
