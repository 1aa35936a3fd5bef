namespace Coordinator.Persistence.Tests.Actors;

/// <summary>A small event-sourced entity used by the persistence tests.</summary>
public sealed class CaseEntity(string persistenceId, IActorRef? probe = null, int snapshotEvery = 0) : PersistentActor
{
    private int _count;
    private List<string> _notes = [];

    public override string PersistenceId => persistenceId;

    protected override int SnapshotEvery => snapshotEvery;

    protected override object? SnapshotState() => new CounterState(_count, [.. _notes]);

    protected override bool ReceiveRecover(object message)
    {
        switch (message)
        {
            case NoteAdded note:
                Apply(note);
                probe?.Tell($"replayed:{note.Text}", null);
                return true;
            case SnapshotOffer { Snapshot: CounterState state } offer:
                _count = state.Count;
                _notes = [.. state.Notes];
                probe?.Tell($"snapshot:{offer.SequenceNr}", null);
                return true;
            case RecoveryCompleted:
                probe?.Tell($"recovered:{LastSequenceNr}", null);
                return true;
            default:
                return false;
        }
    }

    protected override bool ReceiveCommand(object message)
    {
        switch (message)
        {
            case string s when s.StartsWith("add:", StringComparison.Ordinal):
                Persist(new NoteAdded(s[4..]), e =>
                {
                    Apply(e);
                    Sender.Tell($"ok:{LastSequenceNr}");
                });
                return true;
            case string s when s.StartsWith("traced:", StringComparison.Ordinal):
                Persist(new NoteAdded(s[7..]), e => { Apply(e); Sender.Tell("ok"); }, new PersistOptions(["notes"], "corr-42", "cmd-7", Actor.Operator("alice")));
                return true;
            case string s when s.StartsWith("async:", StringComparison.Ordinal):
                PersistAsync(new NoteAdded(s[6..]), e =>
                {
                    Apply(e);
                    probe?.Tell($"async-handled:{e.Text}", null);
                });
                Sender.Tell("accepted");
                return true;
            case string s when s.StartsWith("many:", StringComparison.Ordinal):
                PersistAll(s[5..].Split(',').Select(t => new NoteAdded(t)), Apply);
                return true;
            case "bad":
                Persist(new Unregistered("x"), _ => Sender.Tell("should not happen"));
                return true;
            case "get":
                Sender.Tell(new CounterState(_count, [.. _notes]));
                return true;
            case "seq":
                Sender.Tell(LastSequenceNr);
                return true;
            case "snapshot":
                SaveSnapshot(new CounterState(_count, [.. _notes]));
                return true;
            case string s when s.StartsWith("delete:", StringComparison.Ordinal):
                DeleteMessages(long.Parse(s[7..], System.Globalization.CultureInfo.InvariantCulture));
                return true;
            case SaveSnapshotSuccess or SaveSnapshotFailure or DeleteMessagesSuccess or DeleteMessagesFailure:
                probe?.Tell(message, null);
                return true;
            default:
                return false;
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        probe?.Tell($"persist-failed:{cause.GetType().Name}", null);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception cause)
    {
        probe?.Tell($"recovery-failed:{cause.GetType().Name}", null);
        base.OnRecoveryFailure(cause);
    }

    private void Apply(NoteAdded note)
    {
        _count++;
        _notes.Add(note.Text);
    }
}
