using Akka.Actor;
using Akka.Persistence;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>A small entity for the suites: adds numbers, optionally tagged and audited, snapshots on a policy.</summary>
public sealed class CounterActor : ReceivePersistentActor
{
    private readonly int _snapshotEvery;
    private readonly string? _tag;
    private int _total;
    private int _events;
    private long _recoveredFromSnapshotAt;
    private long _lastSnapshotSaved;

    public CounterActor(string persistenceId, int snapshotEvery, string? tag)
    {
        PersistenceId = persistenceId;
        _snapshotEvery = snapshotEvery;
        _tag = tag;
        Recover<SnapshotOffer>(offer =>
        {
            var snapshot = (CounterSnapshot)offer.Snapshot;
            (_total, _events) = (snapshot.Total, snapshot.Events);
            _recoveredFromSnapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<CounterIncremented>(Apply);
        Command<Add>(Handle);
        Command<Get>(_ => Sender.Tell(new State(_total, _events, _recoveredFromSnapshotAt, _lastSnapshotSaved)));
        // Saves run concurrently in the store: the one at 5 may be acknowledged after the one at 10.
        Command<SaveSnapshotSuccess>(success => _lastSnapshotSaved = Math.Max(_lastSnapshotSaved, success.Metadata.SequenceNr));
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId, int snapshotEvery = 0, string? tag = null)
        => global::Akka.Actor.Props.Create(() => new CounterActor(persistenceId, snapshotEvery, tag));

    private void Handle(Add add)
    {
        var evt = new CounterIncremented(PersistenceId, add.By);
        object toPersist = add.CausedBy is null ? evt : new Audited(evt, add.CausedBy, add.CorrelationId);
        if (_tag is not null)
        {
            toPersist = new global::Akka.Persistence.Journal.Tagged(toPersist, [_tag]);
        }

        var sender = Sender;
        Persist(toPersist, _ =>
        {
            Apply(evt);
            if (_snapshotEvery > 0 && LastSequenceNr % _snapshotEvery == 0)
            {
                SaveSnapshot(new CounterSnapshot(_total, _events));
            }

            sender.Tell(new Added(LastSequenceNr));
        });
    }

    private void Apply(CounterIncremented evt)
    {
        _total += evt.By;
        _events++;
    }

    public sealed record Add(int By, string? CausedBy = null, string? CorrelationId = null) : ICoordinatorMessage;

    public sealed record Added(long SequenceNr) : ICoordinatorMessage;

    public sealed record State(int Total, int Events, long RecoveredFromSnapshotAt, long LastSnapshotSaved) : ICoordinatorMessage;

    public sealed record Get : ICoordinatorMessage
    {
        public static Get Instance { get; } = new();
    }
}
