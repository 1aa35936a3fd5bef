namespace Coordinator.Actors.Core;

/// <summary>
/// Messages of the runtime to an actor cell: lifecycle, supervision, death watch. They overtake
/// user messages, are processed even while the actor is suspended, and are never refused. Each
/// instance is sent once: <see cref="Next"/> links it into the cell's intrusive queue.
/// </summary>
internal abstract class SystemMessage
{
    public SystemMessage? Next;

    /// <summary>True for messages that must wait until an in-flight async handler completes.</summary>
    public virtual bool DeferWhileAwaiting => false;
}

internal sealed class Create : SystemMessage
{
    public override bool DeferWhileAwaiting => true;
}

internal sealed class Recreate(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;

    public override bool DeferWhileAwaiting => true;
}

internal sealed class Suspend : SystemMessage
{
    public override bool DeferWhileAwaiting => true;
}

/// <summary>Resumes after a failure (<see cref="CausedByFailure"/> set) or after the parent's failure.</summary>
internal sealed class Resume(Exception? causedByFailure) : SystemMessage
{
    public Exception? CausedByFailure { get; } = causedByFailure;

    public override bool DeferWhileAwaiting => true;
}

internal sealed class Terminate : SystemMessage
{
    public override bool DeferWhileAwaiting => true;
}

internal sealed class Watch(IInternalActorRef watchee, IInternalActorRef watcher) : SystemMessage
{
    public IInternalActorRef Watchee { get; } = watchee;

    public IInternalActorRef Watcher { get; } = watcher;
}

internal sealed class Unwatch(IInternalActorRef watchee, IInternalActorRef watcher) : SystemMessage
{
    public IInternalActorRef Watchee { get; } = watchee;

    public IInternalActorRef Watcher { get; } = watcher;
}

internal sealed class DeathWatchNotification(IActorRef actor, bool existenceConfirmed) : SystemMessage
{
    public IActorRef Actor { get; } = actor;

    public bool ExistenceConfirmed { get; } = existenceConfirmed;
}

internal sealed class Failed(LocalActorRef child, Exception cause, long uid) : SystemMessage
{
    public LocalActorRef Child { get; } = child;

    public Exception Cause { get; } = cause;

    public long Uid { get; } = uid;
}

/// <summary>A continuation of an async handler, posted through the actor's synchronization context.</summary>
internal sealed class RunContinuation(SendOrPostCallback callback, object? state) : SystemMessage
{
    public SendOrPostCallback Callback { get; } = callback;

    public object? State { get; } = state;
}

/// <summary>The task of an async handler has completed (successfully or not).</summary>
internal sealed class AsyncHandlerCompleted(Task task) : SystemMessage
{
    public Task Task { get; } = task;
}
