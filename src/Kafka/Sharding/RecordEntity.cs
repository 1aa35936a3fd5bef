using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using Coordinator.Kafka.Ingress;

namespace Coordinator.Kafka.Sharding;

/// <summary>
/// A sharded Akka persistent actor fed by Kafka records (<see cref="RecordDelivery"/>), applying
/// each <b>once in effect</b>:
/// <list type="bullet">
/// <item>every applied record is journaled as <see cref="IngressApplied"/> (its source
/// position, its business event id and its data) before the state changes and before the
/// ingress is told (<see cref="RecordAck"/>);</item>
/// <item>a record at or below the last offset applied from its partition is a redelivery and is
/// dropped;</item>
/// <item>a record whose business event id is among the last <see cref="DuplicateWindow"/>
/// applied is a re-publication and is dropped;</item>
/// <item>a delivery its node's <see cref="RecordGate"/> calls stale (sent before its partition
/// was rewound or given up) is not applied.</item>
/// </list>
/// Duplicates are counted by kind (<c>coordinator.ingress.duplicates</c>). Recovery replays the
/// journal through <see cref="Apply"/> as it was journaled: contracts judge input at the edge,
/// never again. Subclasses implement <see cref="Apply"/> as a pure fold and may handle other
/// messages in <see cref="ReceiveOther"/>.
/// <para>
/// A subclass whose records cause work elsewhere may hold a record's acknowledgement until that
/// work is durable (<see cref="Acknowledge"/>), and may stop taking records for a while
/// (<see cref="AcceptingRecords"/>): they then wait in order, unjournaled, until
/// <see cref="ResumeRecords"/>, and the ingress's per-partition cap applies backpressure.
/// </para>
/// </summary>
public abstract class RecordEntity : UntypedPersistentActor
{
    private readonly Dictionary<(string Topic, int Partition), long> _applied = [];
    private readonly HashSet<string> _window = new(StringComparer.Ordinal);
    private readonly Queue<string> _windowOrder = new();
    private readonly Queue<(RecordDelivery Delivery, IActorRef ReplyTo)> _waiting = new();
    private RecordIngress? _ingress;
    private (RecordDelivery Delivery, IActorRef ReplyTo)? _persisting;

    /// <summary>How many of the latest business event ids are remembered to drop re-publications. <value>Default: 256.</value></summary>
    protected virtual int DuplicateWindow => 256;

    /// <summary>Whether records are taken now; while false they wait, unjournaled, for <see cref="ResumeRecords"/>. <value>Default: always.</value></summary>
    protected virtual bool AcceptingRecords => true;

    /// <summary>How many records wait because <see cref="AcceptingRecords"/> is false.</summary>
    protected int WaitingRecords => _waiting.Count;

    /// <summary>The entity's id: the record key its region routes by.</summary>
    protected string EntityId => Uri.UnescapeDataString(Self.Path.Name);

    /// <summary>The sharded ingress of this node.</summary>
    protected RecordIngress Ingress => _ingress ??= RecordIngress.Get(Context.System);

    /// <summary>Folds one applied record into the state; called live after it is journaled and again on recovery. Must be deterministic.</summary>
    protected abstract void Apply(IngressEvent record);

    /// <summary>Handles messages other than records (queries, commands); false if not handled.</summary>
    protected virtual bool ReceiveOther(object message) => false;

    /// <summary>Handles recovery messages other than applied records (own events, snapshots, <see cref="RecoveryCompleted"/>); false if not handled.</summary>
    protected virtual bool RecoverOther(object message) => message is RecoveryCompleted;

    /// <summary>
    /// The record is journaled and applied: tell the ingress (so its offset can be committed).
    /// Override to hold that until the record's consequences are durable elsewhere; a held
    /// delivery must later be acknowledged with <see cref="Reply"/>, applied or failed (which
    /// rewinds its partition, so it comes again).
    /// </summary>
    protected virtual void Acknowledge(RecordDelivery delivery, IActorRef replyTo) => Reply(delivery, replyTo, RecordOutcome.Applied);

    /// <summary>Answers <paramref name="delivery"/>; a failure supersedes its generation on this node first.</summary>
    protected void Reply(RecordDelivery delivery, IActorRef replyTo, RecordOutcome outcome, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(replyTo);
        if (outcome is RecordOutcome.Failed or RecordOutcome.Refused or RecordOutcome.Undeliverable)
        {
            Ingress.Gate.Supersede(delivery.Track, delivery.Generation);
        }

        replyTo.Tell(new RecordAck(delivery.Topic, delivery.Partition, delivery.Offset, outcome, detail, Ingress.Address));
    }

    /// <summary>
    /// Takes the records that waited while <see cref="AcceptingRecords"/> was false, in order, one
    /// journal write at a time: each applied record calls <see cref="Apply"/>, whose subclass may
    /// call this again, so <see cref="AcceptingRecords"/> is asked before every record.
    /// </summary>
    protected void ResumeRecords()
    {
        while (_persisting is null && _waiting.Count > 0 && AcceptingRecords)
        {
            var (delivery, replyTo) = _waiting.Dequeue();
            Take(delivery, replyTo);
        }
    }

    /// <inheritdoc />
    protected sealed override void OnRecover(object message)
    {
        if (message is IngressApplied applied)
        {
            Remember(applied.Topic, applied.Partition, applied.Offset, applied.EventId);
            var data = Ingress.Contracts.Restore(applied.Type, applied.Version, applied.Data);
            Apply(new IngressEvent(EntityId, applied.EventId, applied.Type, applied.Version, data, applied.Topic, applied.Partition, applied.Offset, applied.Timestamp));
            return;
        }

        if (!RecoverOther(message))
        {
            Unhandled(message);
        }
    }

    /// <inheritdoc />
    protected sealed override void OnCommand(object message)
    {
        switch (message)
        {
            case RecordDelivery delivery when !AcceptingRecords || _waiting.Count > 0:
                _waiting.Enqueue((delivery, Sender));
                break;
            case RecordDelivery delivery:
                Take(delivery, Sender);
                break;
            case PassivateRecordEntity:
                Ingress.Active.Remove(Self);
                Context.Parent.Tell(new Passivate(StopRecordEntity.Instance));
                break;
            case StopRecordEntity:
                Context.Stop(Self);
                break;
            default:
                if (!ReceiveOther(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    private void Take(RecordDelivery delivery, IActorRef replyTo)
    {
        var metrics = Ingress.Metrics;
        if (Ingress.Active.Touch(Self) is { } idlest)
        {
            idlest.Tell(new PassivateRecordEntity(string.Empty, delivery.Partition)); // sent to the entity itself, not routed
        }

        if (!Ingress.Gate.IsCurrent(delivery.Track, delivery.Generation))
        {
            metrics.RecordStale(); // a rewind or revocation superseded it; its replacement follows
            Reply(delivery, replyTo, RecordOutcome.Stale);
            return;
        }

        if (_applied.TryGetValue((delivery.Topic, delivery.Partition), out var last) && delivery.Offset <= last)
        {
            metrics.RecordDuplicate(republished: false);
            Reply(delivery, replyTo, RecordOutcome.Redelivered);
            return;
        }

        if (_window.Contains(delivery.EventId))
        {
            metrics.RecordDuplicate(republished: true);
            _applied[(delivery.Topic, delivery.Partition)] = delivery.Offset;
            Reply(delivery, replyTo, RecordOutcome.Republished);
            return;
        }

        _persisting = (delivery, replyTo);
        var applied = new IngressApplied(delivery.Topic, delivery.Partition, delivery.Offset, delivery.EventId, delivery.Type, delivery.Version, delivery.Data, delivery.Timestamp);
        Persist(applied, _ =>
        {
            _persisting = null;
            Remember(delivery.Topic, delivery.Partition, delivery.Offset, delivery.EventId);
            Apply(delivery.ToEvent(delivery.Decoded ?? Ingress.Contracts.Restore(delivery.Type, delivery.Version, delivery.Data)));
            var time = Ingress.Time;
            metrics.RecordApplied(delivery.Topic, delivery.Timestamp, time.GetUtcNow(), delivery.ReadAt == 0 ? TimeSpan.Zero : time.GetElapsedTime(delivery.ReadAt));
            Acknowledge(delivery, replyTo);
        });
    }

    /// <summary>Records that waited unjournaled are failed, which rewinds their partitions: they come again, to the next incarnation.</summary>
    protected override void PostStop()
    {
        Ingress.Active.Remove(Self);
        while (_waiting.TryDequeue(out var waiting))
        {
            Reply(waiting.Delivery, waiting.ReplyTo, RecordOutcome.Failed, "The entity stopped before it took the record.");
        }

        base.PostStop();
    }

    /// <summary>
    /// The write failed: the record is refused (dead-lettered) when the database rejected its
    /// data (<see cref="Coordinator.Contracts.WriteFailures"/>: writing it again would fail
    /// again), else failed (its partition is rewound, so nothing is lost); then Akka stops the
    /// entity, which recovers on its next record.
    /// </summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        ArgumentNullException.ThrowIfNull(cause);
        if (_persisting is var (delivery, replyTo))
        {
            _persisting = null;
            var refused = Coordinator.Contracts.WriteFailures.IsDataError(cause);
            Reply(delivery, replyTo, refused ? RecordOutcome.Refused : RecordOutcome.Failed, $"{cause.GetType().Name}: {cause.Message}");
        }

        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>The journal refused the write (the serializer or an adapter rejected it): the record is refused and dead-lettered; the entity goes on.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        ArgumentNullException.ThrowIfNull(cause);
        if (@event is IngressApplied && _persisting is var (delivery, replyTo))
        {
            _persisting = null;
            Reply(delivery, replyTo, RecordOutcome.Refused, $"{cause.GetType().Name}: {cause.Message}");
            ResumeRecords();
            return;
        }

        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void Remember(string topic, int partition, long offset, string eventId)
    {
        var key = (topic, partition);
        if (!_applied.TryGetValue(key, out var last) || offset > last)
        {
            _applied[key] = offset;
        }

        if (_window.Add(eventId))
        {
            _windowOrder.Enqueue(eventId);
            while (_windowOrder.Count > Math.Max(1, DuplicateWindow))
            {
                _window.Remove(_windowOrder.Dequeue());
            }
        }
    }
}
