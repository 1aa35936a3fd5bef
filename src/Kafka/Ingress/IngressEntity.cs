using Coordinator.Actors.Persistence;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// A persistent entity fed by Kafka records, applying each <b>once in effect</b>:
/// <list type="bullet">
/// <item>every applied record is journaled as <see cref="IngressApplied"/> (its source
/// position, its business event id and its data) before the entity's state changes and before
/// the record counts as processed;</item>
/// <item>a record at or below the last offset applied from its partition is a redelivery and is
/// dropped;</item>
/// <item>a record whose business event id is among the last <see cref="DuplicateWindow"/>
/// applied is a re-publication and is dropped.</item>
/// </list>
/// Both kinds of duplicate are counted (<c>coordinator.ingress.duplicates</c>). Recovery replays
/// the journal through <see cref="Apply"/>, so the state is always the fold of the applied
/// records. Subclasses implement <see cref="Apply"/> as a pure fold and may handle other
/// messages in <see cref="ReceiveOther"/>.
/// <para>
/// A subclass whose records cause work elsewhere may hold a record's completion until that work
/// is durable (<see cref="Acknowledge"/>), and may stop taking records for a while
/// (<see cref="AcceptingRecords"/>): they then wait, in order and unjournaled, until
/// <see cref="ResumeRecords"/>, and the ingress's per-partition cap applies backpressure.
/// </para>
/// </summary>
public abstract class IngressEntity : PersistentActor
{
    private readonly Dictionary<(string Topic, int Partition), long> _applied = [];
    private readonly HashSet<string> _window = new(StringComparer.Ordinal);
    private readonly Queue<string> _windowOrder = new();
    private readonly Queue<IngressDelivery> _waiting = new();
    private IngressExtension? _ingress;
    private IngressDelivery? _persisting;

    /// <summary>How many of the latest business event ids are remembered to drop re-publications. <value>Default: 256.</value></summary>
    protected virtual int DuplicateWindow => 256;

    private IngressExtension Ingress => _ingress ??= IngressExtension.Get(Context.System);

    /// <summary>Folds one applied record into the state; called live after it is journaled and again on recovery. Must be deterministic.</summary>
    protected abstract void Apply(IngressEvent record);

    /// <summary>Whether records are taken now; while false they wait, unjournaled, for <see cref="ResumeRecords"/>. <value>Default: always.</value></summary>
    protected virtual bool AcceptingRecords => true;

    /// <summary>How many records wait because <see cref="AcceptingRecords"/> is false.</summary>
    protected int WaitingRecords => _waiting.Count;

    /// <summary>The entity's id: the record key its region routes by.</summary>
    protected string EntityId => Uri.UnescapeDataString(Self.Path.Name);

    /// <summary>
    /// The record is journaled and applied: let the ingress count it as processed (so its offset can be
    /// committed). Override to hold that until the record's consequences are durable elsewhere; a held
    /// delivery must later be completed, or failed (which rewinds its partition, so it comes again).
    /// </summary>
    protected virtual void Acknowledge(IngressDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        delivery.Complete();
    }

    /// <summary>
    /// Takes the records that waited while <see cref="AcceptingRecords"/> was false, in order, one
    /// journal write at a time: each applied record calls <see cref="Apply"/>, whose subclass calls
    /// this again, so <see cref="AcceptingRecords"/> is asked before every record.
    /// </summary>
    protected void ResumeRecords()
    {
        while (_persisting is null && _waiting.Count > 0 && AcceptingRecords)
        {
            Receive(_waiting.Dequeue());
        }
    }

    /// <summary>Handles messages other than records (queries, commands); false if not handled.</summary>
    protected virtual bool ReceiveOther(object message) => false;

    /// <summary>Handles recovery messages other than applied records (own events, <see cref="RecoveryCompleted"/>); false if not handled.</summary>
    protected virtual bool RecoverOther(object message) => message is RecoveryCompleted;

    /// <inheritdoc />
    protected sealed override bool ReceiveRecover(object message)
    {
        if (message is IngressApplied applied)
        {
            Remember(applied.Topic, applied.Partition, applied.Offset, applied.EventId);
            // What was journaled is applied as it was: contracts judge input at the edge only.
            var data = Ingress.Contracts.Restore(applied.Type, applied.Version, applied.Data);
            Apply(new IngressEvent(EntityId, applied.EventId, applied.Type, applied.Version, data, applied.Topic, applied.Partition, applied.Offset, applied.Timestamp));
            return true;
        }

        return RecoverOther(message);
    }

    /// <inheritdoc />
    protected sealed override bool ReceiveCommand(object message)
    {
        if (message is not IngressDelivery delivery)
        {
            return ReceiveOther(message);
        }

        if (!AcceptingRecords || _waiting.Count > 0)
        {
            _waiting.Enqueue(delivery);
            return true;
        }

        Receive(delivery);
        return true;
    }

    private void Receive(IngressDelivery delivery)
    {
        var metrics = Ingress.Metrics;
        if (!delivery.IsCurrent)
        {
            metrics.RecordStale(); // a rewind or revocation superseded it; its replacement follows
            return;
        }

        if (_applied.TryGetValue((delivery.Topic, delivery.Partition), out var last) && delivery.Offset <= last)
        {
            metrics.RecordDuplicate(republished: false);
            delivery.Complete();
            return;
        }

        var record = delivery.Record;
        if (_window.Contains(record.EventId))
        {
            metrics.RecordDuplicate(republished: true);
            _applied[(delivery.Topic, delivery.Partition)] = delivery.Offset;
            delivery.Complete();
            return;
        }

        _persisting = delivery;
        var applied = new IngressApplied(delivery.Topic, delivery.Partition, delivery.Offset, record.EventId, record.Type, record.Version, record.RawData, delivery.Timestamp);
        var options = new PersistOptions(CorrelationId: record.EventId, CausationId: $"kafka:{delivery.Topic}/{delivery.Partition}/{delivery.Offset}");
        Persist(applied, _ =>
        {
            _persisting = null;
            Remember(delivery.Topic, delivery.Partition, delivery.Offset, record.EventId);
            Apply(delivery.ToEvent());
            var time = Context.System.TimeProvider;
            metrics.RecordApplied(delivery.Topic, delivery.Timestamp, time.GetUtcNow(), time.GetElapsedTime(delivery.ReadAt));
            Acknowledge(delivery);
        }, options);
    }

    /// <summary>Records that waited unjournaled are failed, which rewinds their partitions: they come again, to the next incarnation.</summary>
    protected override void PostStop()
    {
        while (_waiting.TryDequeue(out var delivery))
        {
            delivery.Fail();
        }

        base.PostStop();
    }

    /// <summary>The write failed: the partition is rewound (so nothing is lost), then the entity stops and recovers on its next record.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        FailPersisting();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>The journal refused the write (overloaded): the partition is rewound and the record delivered again.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (@event is IngressApplied)
        {
            FailPersisting();
            return;
        }

        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void FailPersisting()
    {
        _persisting?.Fail();
        _persisting = null;
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
