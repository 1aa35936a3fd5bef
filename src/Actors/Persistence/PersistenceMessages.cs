namespace Coordinator.Actors.Persistence;

/// <summary>Offered to <c>ReceiveRecover</c> first when recovery starts from a snapshot.</summary>
/// <param name="SequenceNr">The last event the snapshot includes.</param>
/// <param name="Timestamp">When it was taken.</param>
/// <param name="Snapshot">The state.</param>
public sealed record SnapshotOffer(long SequenceNr, DateTimeOffset Timestamp, object Snapshot);

/// <summary>Delivered to <c>ReceiveRecover</c> after the last replayed event; commands follow.</summary>
public sealed class RecoveryCompleted
{
    private RecoveryCompleted()
    {
    }

    /// <summary>The single instance.</summary>
    public static RecoveryCompleted Instance { get; } = new();
}

/// <summary>Options of one persisted event.</summary>
/// <param name="Tags">Tags for projections by tag.</param>
/// <param name="CorrelationId">The business flow it belongs to.</param>
/// <param name="CausationId">The command or event that caused it.</param>
/// <param name="CausedBy">The system or the operator behind it; null means the system.</param>
public sealed record PersistOptions(IReadOnlyList<string>? Tags = null, string? CorrelationId = null, string? CausationId = null, Actor? CausedBy = null);

/// <summary>A snapshot was saved.</summary>
/// <param name="SequenceNr">The last event it includes.</param>
public sealed record SaveSnapshotSuccess(long SequenceNr);

/// <summary>A snapshot could not be saved; events are still safe, recovery just replays more.</summary>
/// <param name="SequenceNr">The last event it would have included.</param>
/// <param name="Cause">Why.</param>
public sealed record SaveSnapshotFailure(long SequenceNr, Exception Cause);

/// <summary>Events up to <paramref name="ToSequenceNr"/> were deleted.</summary>
/// <param name="ToSequenceNr">The last deleted sequence number.</param>
public sealed record DeleteMessagesSuccess(long ToSequenceNr);

/// <summary>Deleting events failed.</summary>
/// <param name="ToSequenceNr">The requested bound.</param>
/// <param name="Cause">Why.</param>
public sealed record DeleteMessagesFailure(long ToSequenceNr, Exception Cause);

/// <summary>A persist call was refused before anything was written (the event could not be serialised, or the journal is overloaded); the actor goes on.</summary>
public sealed class PersistRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PersistRejectedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Internal messages between the journal machinery and a persistent actor.</summary>
internal abstract record PersistenceSignal(object Incarnation);

internal sealed record WriteCompleted(object Incarnation, long BatchId, Exception? Failure) : PersistenceSignal(Incarnation);

internal sealed record RecoveryStarted(object Incarnation, StoredSnapshot? Snapshot, object? State) : PersistenceSignal(Incarnation);

internal sealed record RecoveryReplayed(object Incarnation, List<(long SequenceNr, object Event)> Events) : PersistenceSignal(Incarnation);

internal sealed record RecoveryFinished(object Incarnation, long HighestSequenceNr) : PersistenceSignal(Incarnation);

internal sealed record RecoveryFailed(object Incarnation, Exception Cause) : PersistenceSignal(Incarnation);

/// <summary>A snapshot save or event delete finished; <see cref="Reply"/> goes to the command handler.</summary>
internal sealed record StoreOperationCompleted(object Incarnation, object Reply) : PersistenceSignal(Incarnation);
