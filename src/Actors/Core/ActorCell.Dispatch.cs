namespace Coordinator.Actors.Core;

/// <summary>
/// The mailbox and its run loop.
/// <para>
/// User messages go through a lock-free multi-producer single-consumer linked queue (Vyukov's:
/// one atomic exchange per send), system messages through an intrusive lock-free stack that the
/// runner reverses. One counter, <see cref="_count"/>, holds the number of queued items of both
/// kinds, and is the scheduling token: the sender that moves it from 0 to 1 schedules the cell
/// on the thread pool, and the runner releases the token only by bringing it back to 0. So a
/// cell is never scheduled twice and never forgotten, and never two threads run one actor.
/// </para>
/// <para>
/// When the actor may not process user messages (suspended after a failure, awaiting an async
/// handler, stopping) the runner parks, still holding the token; system messages unpark it.
/// </para>
/// </summary>
internal sealed partial class ActorCell : IThreadPoolWorkItem
{
    private const int MaxEmptySpins = 6;

    private readonly int _throughput;
    private readonly int _capacity;

    // Written by producers.
    private Envelope _userHead;
    private SystemMessage? _sysHead;
    private int _count;
    private int _parked;
    private int _userQueued; // bounded mailboxes only
    private RoomWaiters? _room;

    // Written only by the runner.
    private Envelope _userTail;
    private int _consumed;
    private int _suspendCount;
    private volatile bool _terminated;
    private bool _terminating;
    private ActorSynchronizationContext? _syncContext;

    private bool CanProcessUserMessages => _suspendCount == 0 && !_terminating && (_x is null || _x.Awaiting is null);

    /// <summary>Sends a user message. Never blocks; a full bounded mailbox or a stopped actor makes it a dead letter.</summary>
    public void Post(object message, IActorRef? sender)
    {
        if (_terminated)
        {
            SystemImpl.DeadLetter(message, sender, SelfRef, reason: null);
            return;
        }

        if (_capacity == 0)
        {
            var envelope = new Envelope(message, sender);
            var first = Interlocked.Increment(ref _count) == 1;
            Enqueue(envelope);
            if (first)
            {
                Schedule();
            }
        }
        else if (!TryPostBounded(message, sender))
        {
            SystemImpl.DeadLetter(message, sender, SelfRef, reason: "mailbox full");
        }
    }

    /// <summary>Sends a user message, waiting for room in a full bounded mailbox.</summary>
    public ValueTask PostAsync(object message, IActorRef? sender, CancellationToken cancellationToken)
    {
        if (_capacity == 0 || _terminated)
        {
            Post(message, sender);
            return ValueTask.CompletedTask;
        }

        return TryPostBounded(message, sender) ? ValueTask.CompletedTask : PostWhenRoomAsync(message, sender, cancellationToken);
    }

    /// <summary>Sends a system message: it overtakes user messages and wakes a parked runner.</summary>
    public void SendSystemMessage(SystemMessage message)
    {
        var first = Interlocked.Increment(ref _count) == 1;
        SystemMessage? head;
        do
        {
            head = Volatile.Read(ref _sysHead);
            message.Next = head;
        }
        while (Interlocked.CompareExchange(ref _sysHead, message, head) != head);

        if (first || Interlocked.CompareExchange(ref _parked, 0, 1) == 1)
        {
            Schedule();
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        var previousCell = t_current;
        t_current = this;
        var previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_syncContext ??= new ActorSynchronizationContext(this));
        try
        {
            Run();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            t_current = previousCell;
        }
    }

    /// <summary>Queues the cell's creation without scheduling it; <see cref="Start"/> schedules it once the parent has registered the child.</summary>
    internal void PrepareCreate()
    {
        _sysHead = new Create();
        _count = 1;
    }

    internal void Start() => Schedule();

    private void Schedule() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    private void Enqueue(Envelope envelope)
    {
        var previous = Interlocked.Exchange(ref _userHead, envelope);
        Volatile.Write(ref previous.Next, envelope);
    }

    private bool TryDequeue(out object message, out IActorRef? sender)
    {
        if (_x?.Unstashed is { Count: > 0 } unstashed)
        {
            var stashed = unstashed.Dequeue();
            message = stashed.Message;
            sender = stashed.Sender;
            return true;
        }

        var next = Volatile.Read(ref _userTail.Next);
        if (next is null)
        {
            message = null!;
            sender = null;
            return false;
        }

        // The dequeued node becomes the queue's stub: clear it so an idle actor holds no message.
        _userTail = next;
        message = next.Message!;
        sender = next.Sender;
        next.Message = null;
        next.Sender = null;
        if (_capacity != 0)
        {
            Interlocked.Decrement(ref _userQueued);
        }

        return true;
    }

    private bool TryPostBounded(object message, IActorRef? sender)
    {
        // Capacity counts user messages waiting in the queue: not system messages, not the one
        // being processed. A slot is reserved before the message is linked in.
        int queued;
        do
        {
            queued = Volatile.Read(ref _userQueued);
            if (queued >= _capacity)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _userQueued, queued + 1, queued) != queued);

        var envelope = new Envelope(message, sender);
        var first = Interlocked.Increment(ref _count) == 1;
        Enqueue(envelope);
        if (first)
        {
            Schedule();
        }

        return true;
    }

    private async ValueTask PostWhenRoomAsync(object message, IActorRef? sender, CancellationToken cancellationToken)
    {
        var room = _room ?? Interlocked.CompareExchange(ref _room, new RoomWaiters(), null) ?? _room!;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var signal = room.Register();
            if (_terminated)
            {
                Post(message, sender);
                return;
            }

            if (TryPostBounded(message, sender))
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Run()
    {
        var budget = _throughput;
        var processed = 0;
        var emptySpins = 0;
        var metrics = SystemImpl.Metrics;
        if (metrics.MailboxDepthEnabled)
        {
            metrics.RecordMailboxDepth(Volatile.Read(ref _count));
        }

        while (true)
        {
            if (Volatile.Read(ref _sysHead) is not null)
            {
                ProcessSystemMessages();
            }

            if (_terminated)
            {
                DrainToDeadLetters();
            }
            else if (budget > 0 && CanProcessUserMessages)
            {
                processed += ProcessUserMessages(ref budget);
            }

            if (Volatile.Read(ref _sysHead) is not null && (budget > 0 || !CanProcessUserMessages))
            {
                continue;
            }

            var consumed = _consumed;
            _consumed = 0;
            var remaining = consumed == 0 ? Volatile.Read(ref _count) : Interlocked.Add(ref _count, -consumed);
            if (consumed > 0 && _room is { } room)
            {
                room.SignalAll();
            }

            if (remaining == 0)
            {
                break;
            }

            if (!_terminated && !CanProcessUserMessages)
            {
                // Only messages we may not touch remain: park holding the token. Re-check after
                // publishing the flag so that a system message sent meanwhile is not missed.
                Interlocked.Exchange(ref _parked, 1);
                if (Volatile.Read(ref _sysHead) is not null && Interlocked.CompareExchange(ref _parked, 0, 1) == 1)
                {
                    continue;
                }

                break;
            }

            if (budget > 0)
            {
                // The count says a message is coming but it is not linked in yet (a sender is
                // between its increment and its enqueue): spin briefly, then yield the thread.
                emptySpins = consumed == 0 ? emptySpins + 1 : 0;
                if (emptySpins < MaxEmptySpins)
                {
                    Thread.SpinWait(1 << emptySpins);
                    continue;
                }
            }

            Schedule();
            break;
        }

        if (processed > 0)
        {
            metrics.AddProcessed(processed);
        }
    }

    private int ProcessUserMessages(ref int budget)
    {
        var processed = 0;
        try
        {
            while (budget > 0 && TryDequeue(out var message, out var sender))
            {
                budget--;
                processed++;
                _consumed++;
                _currentMessage = message;
                _currentSender = sender;
                Invoke(message);
                if (Volatile.Read(ref _sysHead) is not null || !CanProcessUserMessages)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(ex);
        }

        if (_x?.Awaiting is null)
        {
            // Hold no reference to the last message while idle.
            _currentMessage = null;
            _currentSender = null;
        }

        return processed;
    }

    private void Invoke(object message)
    {
        if (message is AutoReceivedMessage auto)
        {
            AutoReceive(auto);
        }
        else if (!_behavior(message))
        {
            _actor!.AroundUnhandled(message);
        }

        if (_x is { } x)
        {
            x.CurrentStashed = false;
            if (x.ReceiveTimeout is not null && message is not INotInfluenceReceiveTimeout)
            {
                x.LastActivity = SystemImpl.TimeProvider.GetTimestamp();
            }
        }
    }

    private void AutoReceive(AutoReceivedMessage message)
    {
        switch (message)
        {
            case PoisonPill:
                SendSystemMessage(new Terminate());
                break;
            case Kill:
                throw new ActorKilledException($"{SelfRef.Path} received Kill.");
            case Terminated terminated:
                // Delivered only while still watched: no Terminated after Unwatch.
                if (_x?.Watching?.Remove(terminated.ActorRef) == true && !_behavior(terminated))
                {
                    _actor!.AroundUnhandled(terminated);
                }

                break;
            case Identify identify:
                Sender.Tell(new ActorIdentity(identify.MessageId, SelfRef), SelfRef);
                break;
            case TimerFired fired:
                if (_x?.Timers?.Accept(fired) == true)
                {
                    _currentMessage = fired.Message;
                    if (fired.Message is AutoReceivedMessage inner)
                    {
                        AutoReceive(inner);
                    }
                    else if (!_behavior(fired.Message))
                    {
                        _actor!.AroundUnhandled(fired.Message);
                    }
                }

                break;
            case ReceiveTimeoutTick:
                HandleReceiveTimeoutTick();
                break;
        }
    }

    private void DrainToDeadLetters()
    {
        while (TryDequeue(out var message, out var sender))
        {
            _consumed++;
            SystemImpl.DeadLetter(message, sender, SelfRef, reason: null); // it drops the runtime's own timer ticks
        }
    }

    private void ProcessSystemMessages()
    {
        var list = Interlocked.Exchange(ref _sysHead, null);
        SystemMessage? fifo = null;
        while (list is not null)
        {
            var next = list.Next;
            list.Next = fifo;
            fifo = list;
            list = next;
        }

        while (fifo is not null)
        {
            var message = fifo;
            fifo = message.Next;
            message.Next = null;
            if (message.DeferWhileAwaiting && !_terminated && _x?.Awaiting is not null)
            {
                (X.Deferred ??= []).Add(message);
                continue;
            }

            _consumed++;
            HandleSystemMessage(message);
        }
    }

    private void HandleSystemMessage(SystemMessage message)
    {
        try
        {
            if (_terminated)
            {
                HandleSystemMessageWhenTerminated(message);
                return;
            }

            switch (message)
            {
                case Create:
                    HandleCreate();
                    break;
                case Recreate recreate:
                    HandleRecreate(recreate.Cause);
                    break;
                case Suspend:
                    HandleSuspend();
                    break;
                case Resume resume:
                    HandleResume(resume.CausedByFailure);
                    break;
                case Terminate:
                    HandleTerminate();
                    break;
                case Watch watch:
                    HandleWatch(watch);
                    break;
                case Unwatch unwatch:
                    HandleUnwatch(unwatch);
                    break;
                case DeathWatchNotification notification:
                    HandleDeathWatchNotification(notification);
                    break;
                case Failed failed:
                    HandleFailed(failed);
                    break;
                case RunContinuation continuation:
                    continuation.Callback(continuation.State);
                    break;
                case AsyncHandlerCompleted completed:
                    HandleAsyncHandlerCompleted(completed.Task);
                    break;
            }
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(ex);
        }
    }

    private void HandleSystemMessageWhenTerminated(SystemMessage message)
    {
        switch (message)
        {
            case Watch watch when !watch.Watcher.Equals(SelfRef):
                watch.Watcher.SendSystemMessage(new DeathWatchNotification(SelfRef, existenceConfirmed: true));
                break;
            case RunContinuation:
                SystemImpl.Log.ContinuationAfterStop(SelfRef.Path.ToString());
                break;
        }
    }

    /// <summary>Producers waiting for room in a full bounded mailbox.</summary>
    private sealed class RoomWaiters
    {
        private readonly List<TaskCompletionSource> _waiters = [];

        public Task Register()
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiters)
            {
                _waiters.Add(waiter);
            }

            return waiter.Task;
        }

        public void SignalAll()
        {
            TaskCompletionSource[] waiters;
            lock (_waiters)
            {
                if (_waiters.Count == 0)
                {
                    return;
                }

                waiters = [.. _waiters];
                _waiters.Clear();
            }

            foreach (var waiter in waiters)
            {
                waiter.TrySetResult();
            }
        }
    }
}
