namespace Coordinator.Actors.Core;

/// <summary>
/// Async handlers, receive timeout and stash. An async handler holds the actor: no user message
/// and no lifecycle message (stop, restart) is processed until its task completes; its
/// continuations come back through <see cref="ActorSynchronizationContext"/> and run as part of
/// the actor, so user code of one actor never runs on two threads at once.
/// </summary>
internal sealed partial class ActorCell
{
    internal void BeginAwait(Task task)
    {
        X.Awaiting = task;
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => SendSystemMessage(new AsyncHandlerCompleted(task)));
    }

    private void HandleAsyncHandlerCompleted(Task task)
    {
        var x = X;
        if (!ReferenceEquals(x.Awaiting, task))
        {
            return;
        }

        x.Awaiting = null;
        if (task.IsFaulted)
        {
            HandleInvokeFailure(task.Exception!.InnerException ?? task.Exception);
        }
        else if (task.IsCanceled)
        {
            HandleInvokeFailure(new TaskCanceledException(task));
        }

        _currentMessage = null;
        _currentSender = null;

        // Lifecycle messages that arrived while the handler ran go first, in arrival order.
        if (x.Deferred is { } deferred)
        {
            x.Deferred = null;
            foreach (var message in deferred)
            {
                _consumed++;
                HandleSystemMessage(message);
            }
        }
    }

    private void ArmReceiveTimeout(TimeSpan dueIn)
    {
        var x = X;
        if (x.ReceiveTimeoutTimer is { } timer)
        {
            timer.Change(dueIn, Timeout.InfiniteTimeSpan);
        }
        else
        {
            x.ReceiveTimeoutTimer = SystemImpl.TimeProvider.CreateTimer(
                static state => ((ActorCell)state!).Post(ReceiveTimeoutTick.Instance, null),
                this,
                dueIn,
                Timeout.InfiniteTimeSpan);
        }
    }

    private void HandleReceiveTimeoutTick()
    {
        if (_x is not { ReceiveTimeout: { } timeout } x)
        {
            return;
        }

        var time = SystemImpl.TimeProvider;
        var idle = time.GetElapsedTime(x.LastActivity);
        if (idle < timeout)
        {
            ArmReceiveTimeout(timeout - idle);
            return;
        }

        x.LastActivity = time.GetTimestamp();
        ArmReceiveTimeout(timeout);
        _currentMessage = Actors.ReceiveTimeout.Instance;
        if (!_behavior(Actors.ReceiveTimeout.Instance))
        {
            _actor!.AroundUnhandled(Actors.ReceiveTimeout.Instance);
        }
    }

    internal int StashCount => _x?.Stash?.Count ?? 0;

    internal void StashCurrent()
    {
        var x = X;
        if (_currentMessage is null || t_current != this)
        {
            throw new IllegalActorStateException($"{SelfRef.Path}: Stash() was called outside message processing; call it from the handler of the message to stash.");
        }

        if (x.CurrentStashed)
        {
            throw new IllegalActorStateException($"{SelfRef.Path}: the message {_currentMessage.GetType().Name} is already stashed; stash each message at most once.");
        }

        var stash = x.Stash ??= [];
        if (stash.Count >= SystemImpl.Settings.StashCapacity)
        {
            throw new StashOverflowException($"{SelfRef.Path}: the stash holds {stash.Count} messages, its capacity (ActorSystemSettings.StashCapacity); unstash before stashing more, or raise the capacity.");
        }

        stash.Add(new StashedMessage(_currentMessage, _currentSender));
        x.CurrentStashed = true;
    }

    internal void UnstashAll()
    {
        if (_x is not { Stash: { Count: > 0 } stash } x)
        {
            return;
        }

        Prepend(x, stash);
        stash.Clear();
    }

    internal void UnstashOne()
    {
        if (_x is not { Stash: { Count: > 0 } stash } x)
        {
            return;
        }

        var first = stash[0];
        stash.RemoveAt(0);
        Prepend(x, [first]);
    }

    internal IReadOnlyList<object> ClearStash()
    {
        if (_x?.Stash is not { Count: > 0 } stash)
        {
            return [];
        }

        var messages = stash.ConvertAll(static s => s.Message);
        stash.Clear();
        return messages;
    }

    private void Prepend(CellExtras x, List<StashedMessage> messages)
    {
        var queue = new Queue<StashedMessage>(messages.Count + (x.Unstashed?.Count ?? 0));
        foreach (var message in messages)
        {
            queue.Enqueue(message);
        }

        if (x.Unstashed is { } earlier)
        {
            while (earlier.Count > 0)
            {
                queue.Enqueue(earlier.Dequeue());
            }
        }

        x.Unstashed = queue;

        // Unstashed messages count as queued again, so the runner does not go idle past them.
        Interlocked.Add(ref _count, messages.Count);
    }
}

/// <summary>The <see cref="IStash"/> handed to actors that implement <see cref="IWithStash"/>.</summary>
internal sealed class CellStash(ActorCell cell) : IStash
{
    public int Count => cell.StashCount;

    public void Stash() => cell.StashCurrent();

    public void Unstash() => cell.UnstashOne();

    public void UnstashAll() => cell.UnstashAll();

    public IReadOnlyList<object> ClearStash() => cell.ClearStash();
}

/// <summary>Brings continuations of an actor's async code back onto the actor.</summary>
internal sealed class ActorSynchronizationContext(ActorCell cell) : SynchronizationContext
{
    public override void Post(SendOrPostCallback d, object? state) => cell.SendSystemMessage(new RunContinuation(d, state));

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (ActorCell.Current != cell)
        {
            throw new NotSupportedException("Synchronous Send into an actor from another thread would block both; use Tell.");
        }

        d(state);
    }

    public override SynchronizationContext CreateCopy() => this;
}
