using Coordinator.Actors.Core;

namespace Coordinator.Actors.Persistence;

/// <summary>
/// An event-sourced actor (Akka.NET's <c>UntypedPersistentActor</c>): its state is the fold of
/// its events. On start it recovers from the latest snapshot and the events after it, then
/// receives <see cref="RecoveryCompleted"/>; commands that arrive meanwhile wait. A command
/// handler calls <see cref="Persist{TEvent}"/>; the handler runs once the event is durable, and
/// commands arriving meanwhile wait (use <see cref="PersistAsync{TEvent}"/> to keep processing).
/// <para>
/// Failures as in Akka.NET: a failed write (including a conflict with a second writer) stops the
/// actor, because its state is unknown; a supervisor (a <see cref="Supervision.BackoffSupervisor"/>)
/// restarts it and it recovers from the journal. A rejected write (the event cannot be
/// serialised, the journal is overloaded) writes nothing: <see cref="OnPersistRejected"/> answers
/// the command's sender and the actor goes on.
/// </para>
/// </summary>
public abstract class PersistentActor : ActorBase
{
    private readonly List<StashedMessage> _internalStash = [];
    private readonly Queue<PendingHandler> _pendingHandlers = new();
    private readonly List<PendingHandler> _eventBatch = [];
    private object _incarnation = new();
    private PersistenceExtension? _persistence;
    private bool _recovering = true;
    private int _pendingStashingPersists;
    private long _nextBatchId;
    private long _lastSnapshotSequenceNr;

    /// <summary>Identifies this entity's journal across incarnations and nodes, e.g. <c>case-1234</c>.</summary>
    public abstract string PersistenceId { get; }

    /// <summary>The sequence number of the last event persisted or replayed.</summary>
    public long LastSequenceNr { get; private set; }

    /// <summary>True while replaying.</summary>
    protected bool IsRecovering => _recovering;

    /// <summary>Saves a snapshot automatically every this many events (0: never). Needs <see cref="SnapshotState"/>. <value>Default: 0.</value></summary>
    protected virtual int SnapshotEvery => 0;

    /// <summary>The persistence extension.</summary>
    protected PersistenceExtension Persistence => _persistence ??= PersistenceExtension.Get(Context.System);

    /// <summary>Applies replayed events, a <see cref="SnapshotOffer"/>, and finally <see cref="RecoveryCompleted"/>.</summary>
    protected abstract bool ReceiveRecover(object message);

    /// <summary>Handles commands once recovered.</summary>
    protected abstract bool ReceiveCommand(object message);

    /// <summary>The state to snapshot for <see cref="SnapshotEvery"/>; null skips it. <value>Default: null.</value></summary>
    protected virtual object? SnapshotState() => null;

    /// <summary>
    /// Persists <paramref name="event"/> and runs <paramref name="handler"/> once it is durable,
    /// with the command's sender as <c>Sender</c>. Commands arriving meanwhile wait. Events
    /// persisted in one command are written atomically together.
    /// </summary>
    protected void Persist<TEvent>(TEvent @event, Action<TEvent> handler, PersistOptions? options = null)
        where TEvent : notnull
        => Add(@event, handler, options, stashing: true);

    /// <summary>Persists several events atomically; <paramref name="handler"/> runs for each in order.</summary>
    protected void PersistAll<TEvent>(IEnumerable<TEvent> events, Action<TEvent> handler, PersistOptions? options = null)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            Add(e, handler, options, stashing: true);
        }
    }

    /// <summary>Like <see cref="Persist{TEvent}"/>, but commands keep being processed while the write is in flight; handlers still run in order.</summary>
    protected void PersistAsync<TEvent>(TEvent @event, Action<TEvent> handler, PersistOptions? options = null)
        where TEvent : notnull
        => Add(@event, handler, options, stashing: false);

    /// <summary>Saves <paramref name="snapshot"/> at <see cref="LastSequenceNr"/>; answered with <see cref="SaveSnapshotSuccess"/> or <see cref="SaveSnapshotFailure"/>.</summary>
    protected void SaveSnapshot(object snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var sequenceNr = LastSequenceNr;
        var persistence = Persistence;
        SerializedEvent state;
        try
        {
            state = persistence.Registry.Serialize(snapshot);
        }
        catch (Exception ex)
        {
            Self.Tell(new StoreOperationCompleted(_incarnation, new SaveSnapshotFailure(sequenceNr, ex)), null);
            return;
        }

        _lastSnapshotSequenceNr = sequenceNr;
        var stored = new StoredSnapshot(PersistenceId, sequenceNr, Context.System.TimeProvider.GetUtcNow(), state);
        RunStoreOperation(() => persistence.SnapshotStore.SaveAsync(stored), new SaveSnapshotSuccess(sequenceNr), ex => new SaveSnapshotFailure(sequenceNr, ex));
    }

    /// <summary>Deletes this entity's events up to <paramref name="toSequenceNr"/>; answered with <see cref="DeleteMessagesSuccess"/> or <see cref="DeleteMessagesFailure"/>.</summary>
    protected void DeleteMessages(long toSequenceNr)
    {
        var journal = Persistence.Journal;
        var persistenceId = PersistenceId;
        RunStoreOperation(() => journal.DeleteEventsToAsync(persistenceId, toSequenceNr), new DeleteMessagesSuccess(toSequenceNr), ex => new DeleteMessagesFailure(toSequenceNr, ex));
    }

    /// <summary>
    /// A write failed after it was sent: the events may or may not be stored, so the actor
    /// stops after this call (its supervisor restarts it, and recovery tells the truth).
    /// <value>Default: logs the failure.</value>
    /// </summary>
    protected virtual void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        => Persistence.Log.PersistFailed(cause, @event.GetType().Name, sequenceNr, PersistenceId);

    /// <summary>
    /// A persist call was refused before anything was written; the actor goes on.
    /// <value>Default: answers the command's sender with <see cref="Status.Failure"/> of a <see cref="PersistRejectedException"/>.</value>
    /// </summary>
    protected virtual void OnPersistRejected(Exception cause, object @event, long sequenceNr)
        => Sender.Tell(new Status.Failure(cause is PersistRejectedException ? cause : new PersistRejectedException($"{@event.GetType().Name} of {PersistenceId} was rejected: {cause.Message}", cause)), Self);

    /// <summary>Recovery failed (unreadable event, store down, a recovery handler threw); the actor stops after this call. <value>Default: logs.</value></summary>
    protected virtual void OnRecoveryFailure(Exception cause)
        => Persistence.Log.RecoveryFailed(cause, PersistenceId);

    /// <inheritdoc />
    protected sealed override bool Receive(object message)
    {
        if (message is PersistenceSignal signal)
        {
            if (ReferenceEquals(signal.Incarnation, _incarnation))
            {
                HandleSignal(signal);
            }

            return true;
        }

        if (_recovering || _pendingStashingPersists > 0)
        {
            _internalStash.Add(new StashedMessage(message, Cell.CurrentSender));
            return true;
        }

        var handled = ReceiveCommand(message);
        FlushBatch();
        return handled;
    }

    internal override void AroundPreStart()
    {
        StartRecovery();
        base.AroundPreStart();
    }

    internal override void AroundPostRestart(Exception reason)
    {
        StartRecovery();
        base.AroundPostRestart(reason);
    }

    private void Add<TEvent>(TEvent @event, Action<TEvent> handler, PersistOptions? options, bool stashing)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_recovering)
        {
            throw new InvalidOperationException($"{PersistenceId}: Persist was called during recovery; persist only from command handlers.");
        }

        _eventBatch.Add(new PendingHandler(@event, e => handler((TEvent)e), options, stashing, Cell.CurrentSender));
    }

    private void FlushBatch()
    {
        if (_eventBatch.Count == 0)
        {
            return;
        }

        var persistence = Persistence;
        var now = Context.System.TimeProvider.GetUtcNow();
        var rows = new List<EventToWrite>(_eventBatch.Count);
        var sequenceNr = LastSequenceNr;
        Exception? rejection = null;
        foreach (var pending in _eventBatch)
        {
            try
            {
                var options = pending.Options;
                rows.Add(new EventToWrite(
                    PersistenceId,
                    ++sequenceNr,
                    persistence.Registry.Serialize(pending.Event),
                    options?.Tags ?? [],
                    new EventMetadata(now, persistence.Settings.WriterId, options?.CorrelationId, options?.CausationId, options?.CausedBy ?? Actor.System)));
            }
            catch (Exception ex)
            {
                rejection = ex;
                break;
            }
        }

        var batch = _eventBatch.ToList();
        _eventBatch.Clear();
        var batchId = ++_nextBatchId;
        var self = Self;
        var incarnation = _incarnation;
        if (rejection is null && !persistence.Writer.TryEnqueue(new WriteRequest(rows, failure => self.Tell(new WriteCompleted(incarnation, batchId, failure), null))))
        {
            rejection = new PersistRejectedException($"The journal has {persistence.PendingEvents} events waiting (PersistenceSettings.MaxPendingEvents); {PersistenceId} was not persisted. Retry later.");
        }

        if (rejection is not null)
        {
            var next = LastSequenceNr;
            foreach (var pending in batch)
            {
                OnPersistRejected(rejection, pending.Event, ++next);
            }

            return;
        }

        LastSequenceNr = sequenceNr;
        foreach (var pending in batch)
        {
            _pendingHandlers.Enqueue(pending with { BatchId = batchId });
            if (pending.Stashing)
            {
                _pendingStashingPersists++;
            }
        }
    }

    private void HandleSignal(PersistenceSignal signal)
    {
        switch (signal)
        {
            case WriteCompleted completed:
                OnWriteCompleted(completed);
                break;
            case RecoveryStarted started:
                if (started.Snapshot is { } snapshot)
                {
                    LastSequenceNr = snapshot.SequenceNr;
                    _lastSnapshotSequenceNr = snapshot.SequenceNr;
                    Recover(new SnapshotOffer(snapshot.SequenceNr, snapshot.Timestamp, started.State!));
                }

                break;
            case RecoveryReplayed replayed:
                foreach (var (sequenceNr, @event) in replayed.Events)
                {
                    LastSequenceNr = sequenceNr;
                    if (!Recover(@event))
                    {
                        break;
                    }
                }

                break;
            case RecoveryFinished finished:
                LastSequenceNr = Math.Max(LastSequenceNr, finished.HighestSequenceNr);
                _recovering = false;
                Recover(RecoveryCompleted.Instance);
                UnstashInternal();
                break;
            case RecoveryFailed failed:
                FailRecovery(failed.Cause);
                break;
            case StoreOperationCompleted completed:
                ReceiveCommand(completed.Reply);
                break;
        }
    }

    private bool Recover(object message)
    {
        try
        {
            ReceiveRecover(message);
            return true;
        }
        catch (Exception ex)
        {
            FailRecovery(new ActorInitializationException(Self.Path, $"Recovery of {PersistenceId} failed in ReceiveRecover: {ex.Message}", ex));
            return false;
        }
    }

    private void FailRecovery(Exception cause)
    {
        _incarnation = new object(); // ignore whatever the recovery task still sends
        OnRecoveryFailure(cause);
        Context.Stop(Self);
    }

    private void OnWriteCompleted(WriteCompleted completed)
    {
        if (completed.Failure is { } failure)
        {
            var failed = _pendingHandlers.FirstOrDefault(p => p.BatchId == completed.BatchId);
            _incarnation = new object();
            OnPersistFailure(failure, failed?.Event ?? "(unknown)", LastSequenceNr);
            Context.Stop(Self);
            return;
        }

        var sender = Cell.CurrentSender;
        while (_pendingHandlers.TryPeek(out var pending) && pending.BatchId == completed.BatchId)
        {
            _pendingHandlers.Dequeue();
            Cell.SetCurrentSender(pending.Sender);
            try
            {
                pending.Handler(pending.Event);
            }
            finally
            {
                if (pending.Stashing)
                {
                    _pendingStashingPersists--;
                }
            }
        }

        Cell.SetCurrentSender(sender);
        FlushBatch(); // handlers may persist again
        if (SnapshotEvery > 0 && LastSequenceNr / SnapshotEvery > _lastSnapshotSequenceNr / SnapshotEvery && SnapshotState() is { } state)
        {
            SaveSnapshot(state);
        }

        if (_pendingStashingPersists == 0)
        {
            UnstashInternal();
        }
    }

    private void UnstashInternal()
    {
        if (_internalStash.Count > 0)
        {
            Cell.PrependMessages(_internalStash);
            _internalStash.Clear();
        }
    }

    /// <summary>Runs a snapshot or delete operation off the actor and answers the actor with <paramref name="success"/> or the failure.</summary>
    private void RunStoreOperation(Func<Task> operation, object success, Func<Exception, object> failure)
    {
        var self = Self;
        var incarnation = _incarnation;
        _ = Task.Run(async () =>
        {
            try
            {
                await operation().ConfigureAwait(false);
                self.Tell(new StoreOperationCompleted(incarnation, success), null);
            }
            catch (Exception ex)
            {
                self.Tell(new StoreOperationCompleted(incarnation, failure(ex)), null);
            }
        });
    }

    private void StartRecovery()
    {
        _incarnation = new object();
        _recovering = true;
        Persistence.Recovery.Recover(PersistenceId, Self, _incarnation);
    }

    private sealed record PendingHandler(object Event, Action<object> Handler, PersistOptions? Options, bool Stashing, IActorRef? Sender)
    {
        public long BatchId { get; init; }
    }
}
