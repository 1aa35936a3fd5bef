using Coordinator.Actors.Supervision;

namespace Coordinator.Actors.Core;

/// <summary>
/// Runs one actor: its mailbox, its current instance and behaviour, its children and watches,
/// and its place in supervision. All state below is touched only by the thread that currently
/// runs the cell (the mailbox guarantees there is at most one), except where a comment says
/// otherwise. Rarely used state lives in <see cref="CellExtras"/> so that an idle actor stays
/// small.
/// </summary>
internal sealed partial class ActorCell : IActorContext
{
    [ThreadStatic]
    private static ActorCell? t_current;

    [ThreadStatic]
    private static ActorCell? t_creating;

    private readonly Props _props;
    private ActorBase? _actor;
    private Receive _behavior;
    private object? _currentMessage;
    private IActorRef? _currentSender;
    private CellExtras? _x;

    public ActorCell(ActorSystem system, ActorCell? parent, ActorPath path, Props props)
    {
        SystemImpl = system;
        ParentCell = parent;
        _props = props;
        SelfRef = new LocalActorRef(this, path);
        _throughput = props.Throughput ?? system.Settings.Throughput;
        _capacity = props.Mailbox.Capacity;
        _userHead = _userTail = new Envelope(null, null);
        _behavior = static _ => false;
    }

    /// <summary>The cell whose actor code runs on this thread, if any.</summary>
    public static ActorCell? Current => t_current;

    /// <summary>The cell whose actor instance is being constructed on this thread, if any.</summary>
    public static ActorCell? CurrentlyCreating => t_creating;

    public ActorSystem SystemImpl { get; }

    public ActorCell? ParentCell { get; }

    public LocalActorRef SelfRef { get; }

    public bool IsTerminated => _terminated;

    public IActorRef? CurrentSender => _currentSender;

    public IActorRef Self => SelfRef;

    public IActorRef Sender => _currentSender ?? SystemImpl.DeadLetters;

    public IActorRef Parent => (IActorRef?)ParentCell?.SelfRef ?? SelfRef;

    public Props Props => _props;

    public ActorSystem System => SystemImpl;

    public TimeSpan? ReceiveTimeout => _x?.ReceiveTimeout;

    /// <summary>The actor's current instance (null before creation and after termination).</summary>
    internal ActorBase? Actor => _actor;

    // Supervision bookkeeping for this cell, kept here but read and written only by the parent's thread.
    internal int RestartCount { get; set; }

    internal long RestartWindowStart { get; set; }

    // Written by the parent (under the children lock) when it stops this child.
    internal bool StoppingByParent { get; set; }

    private CellExtras X => _x ??= new CellExtras();

    public IActorRef ActorOf(Props props, string? name = null) => MakeChild(props, name);

    public IReadOnlyCollection<IActorRef> GetChildren()
    {
        var children = _x?.Children;
        if (children is null)
        {
            return [];
        }

        lock (children)
        {
            var result = new List<IActorRef>(children.Count);
            foreach (var child in children.Values)
            {
                if (!child.Cell.StoppingByParent && !child.Cell.IsTerminated)
                {
                    result.Add(child);
                }
            }

            return result;
        }
    }

    public IActorRef? Child(string name)
    {
        var children = _x?.Children;
        if (children is null)
        {
            return null;
        }

        lock (children)
        {
            return children.TryGetValue(name, out var child) && !child.Cell.StoppingByParent && !child.Cell.IsTerminated ? child : null;
        }
    }

    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is LocalActorRef local && local.Cell.ParentCell == this)
        {
            MarkChildStopping(local);
        }

        if (actor is IInternalActorRef internalRef)
        {
            internalRef.SendSystemMessage(new Terminate());
        }
        else
        {
            actor.Tell(PoisonPill.Instance, SelfRef);
        }
    }

    public IActorRef Watch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (subject.Equals(SelfRef))
        {
            return subject;
        }

        var watching = X.Watching ??= [];
        if (watching.Add(subject))
        {
            if (subject is IInternalActorRef target)
            {
                target.SendSystemMessage(new Watch(target, SelfRef));
            }
            else
            {
                // A ref the runtime cannot watch can never notify; say so at once rather than never.
                SendSystemMessage(new DeathWatchNotification(subject, existenceConfirmed: false));
            }
        }

        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (_x?.Watching is { } watching && watching.Remove(subject) && subject is IInternalActorRef target)
        {
            target.SendSystemMessage(new Unwatch(target, SelfRef));
        }

        return subject;
    }

    public void Become(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        if (_x?.BehaviorStack is { Count: > 0 } stack)
        {
            stack[^1] = receive;
        }

        _behavior = receive;
    }

    public void BecomeStacked(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        var stack = X.BehaviorStack ??= [];
        if (stack.Count == 0)
        {
            stack.Add(_behavior);
        }

        stack.Add(receive);
        _behavior = receive;
    }

    public void UnbecomeStacked()
    {
        if (_x?.BehaviorStack is { Count: > 1 } stack)
        {
            stack.RemoveAt(stack.Count - 1);
            _behavior = stack[^1];
        }
    }

    public void SetReceiveTimeout(TimeSpan? timeout)
    {
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A receive timeout must be positive; pass null to switch it off.");
        }

        var x = X;
        x.ReceiveTimeout = timeout;
        if (timeout is null)
        {
            x.ReceiveTimeoutTimer?.Dispose();
            x.ReceiveTimeoutTimer = null;
            return;
        }

        x.LastActivity = SystemImpl.TimeProvider.GetTimestamp();
        ArmReceiveTimeout(timeout.Value);
    }

    public void RunTask(Func<Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (t_current != this)
        {
            throw new InvalidOperationException("RunTask must be called from inside the actor's own message handler.");
        }

        HoldUntilComplete(action());
    }

    /// <summary>
    /// Holds the actor until <paramref name="task"/> completes (Akka.NET's ReceiveAsync/RunTask):
    /// nothing to do if it already succeeded, its exception if it already failed, else await it.
    /// </summary>
    internal void HoldUntilComplete(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        if (task.IsFaulted)
        {
            global::System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(task.Exception!.InnerException ?? task.Exception).Throw();
        }

        BeginAwait(task);
    }

    /// <summary>Makes <paramref name="sender"/> the sender seen by code running now (persist handlers run with their command's sender).</summary>
    internal void SetCurrentSender(IActorRef? sender) => _currentSender = sender;

    /// <summary>Puts messages back in front of the mailbox, in order (the internal stash of persistent actors).</summary>
    internal void PrependMessages(List<StashedMessage> messages)
    {
        if (messages.Count > 0)
        {
            Prepend(X, messages);
        }
    }

    internal void PublishUnhandled(object message)
        => SystemImpl.PublishUnhandled(message, _currentSender, SelfRef);

    private ActorBase NewActorInstance()
    {
        var previous = t_creating;
        t_creating = this;
        ActorBase instance;
        try
        {
            instance = _props.Factory();
        }
        catch (global::System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            // Props.Create<T>() constructs through new T(), which wraps constructor exceptions.
            global::System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
        finally
        {
            t_creating = previous;
        }

        if (instance.Cell != this)
        {
            throw new InvalidOperationException($"The factory of {_props} returned an actor instance that was not created by it; Props factories must return a new instance every call.");
        }

        if (instance is IWithStash withStash)
        {
            withStash.Stash = new CellStash(this);
        }

        if (instance is IWithTimers withTimers)
        {
            withTimers.Timers = X.Timers ??= new TimerScheduler(this);
        }

        _behavior = instance.InitialBehavior;
        if (_x is { } x)
        {
            x.BehaviorStack?.Clear();
            x.SupervisorStrategy = null;
        }

        return instance;
    }

    internal SupervisorStrategy GetSupervisorStrategy()
    {
        var x = X;
        return x.SupervisorStrategy ??= _props.SupervisorStrategy
            ?? _actor?.AroundSupervisorStrategy()
            ?? SystemImpl.DefaultStrategyFor(this);
    }

    /// <summary>State most actors never need, allocated on first use.</summary>
    private sealed class CellExtras
    {
        public Dictionary<string, LocalActorRef>? Children;
        public int ChildNameCounter;
        public HashSet<IActorRef>? Watching;
        public HashSet<IInternalActorRef>? WatchedBy;
        public Exception? Failure;
        public object? FailedMessage;
        public bool WaitingToTerminate;
        public Exception? WaitingToRecreate;
        public List<Receive>? BehaviorStack;
        public List<StashedMessage>? Stash;
        public Queue<StashedMessage>? Unstashed;
        public bool CurrentStashed;
        public TimerScheduler? Timers;
        public TimeSpan? ReceiveTimeout;
        public long LastActivity;
        public ITimer? ReceiveTimeoutTimer;
        public Task? Awaiting;
        public List<SystemMessage>? Deferred;
        public SupervisorStrategy? SupervisorStrategy;
    }
}
