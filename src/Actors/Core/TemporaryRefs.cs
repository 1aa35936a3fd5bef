using Coordinator.Actors.Events;

namespace Coordinator.Actors.Core;

/// <summary>The one-shot ref behind <c>Ask</c>: the first message completes the task.</summary>
internal sealed class PromiseActorRef : IInternalActorRef
{
    private readonly TaskCompletionSource<object?> _promise = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IActorRef _target;
    private readonly Type _messageType;
    private readonly TimeSpan _timeout;
    private readonly ITimer _timer;
    private readonly CancellationTokenRegistration _cancellation;

    public PromiseActorRef(ActorSystem system, IActorRef target, Type messageType, TimeSpan timeout, CancellationToken cancellationToken)
    {
        System = system;
        _target = target;
        _messageType = messageType;
        _timeout = timeout;
        Path = system.NewTempPath();
        _timer = system.TimeProvider.CreateTimer(static s => ((PromiseActorRef)s!).TimedOut(), this, timeout, Timeout.InfiniteTimeSpan);
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.Register(static (s, token) => ((PromiseActorRef)s!).Cancel(token), this);
        }
    }

    public Task<object?> Task => _promise.Task;

    public ActorPath Path { get; }

    public ActorSystem System { get; }

    public void Tell(object message, IActorRef? sender)
    {
        var completed = message is Status.Failure failure
            ? _promise.TrySetException(failure.Cause)
            : _promise.TrySetResult(message);
        if (completed)
        {
            Cleanup();
        }
        else
        {
            System.DeadLetter(message, sender, this, reason: "reply after the ask completed");
        }
    }

    public void SendSystemMessage(SystemMessage message)
    {
        if (message is Watch watch)
        {
            watch.Watcher.SendSystemMessage(new DeathWatchNotification(this, existenceConfirmed: false));
        }
    }

    public bool Equals(IActorRef? other) => ReferenceEquals(this, other);

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public override int GetHashCode() => Path.GetHashCode();

    private void TimedOut()
    {
        if (_promise.TrySetException(new AskTimeoutException(
            $"Ask to {_target.Path} with a message of type {_messageType.Name} timed out after {_timeout.TotalMilliseconds:0} ms. The target may have stopped, be busy, or not reply to Sender; check it replies, or raise the timeout.")))
        {
            Cleanup();
        }
    }

    private void Cancel(CancellationToken token)
    {
        if (_promise.TrySetCanceled(token))
        {
            Cleanup();
        }
    }

    private void Cleanup()
    {
        _timer?.Dispose();
        _cancellation.Dispose();
    }
}

/// <summary>Watches one actor on behalf of non-actor code and completes when it has terminated.</summary>
internal sealed class TerminationWatcher : IInternalActorRef
{
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TerminationWatcher(ActorSystem system, IActorRef subject)
    {
        System = system;
        Path = system.NewTempPath();
        if (subject is IInternalActorRef target)
        {
            target.SendSystemMessage(new Watch(target, this));
        }
        else
        {
            _terminated.TrySetResult();
        }
    }

    public Task Task => _terminated.Task;

    public ActorPath Path { get; }

    public ActorSystem System { get; }

    public void Tell(object message, IActorRef? sender) => System.DeadLetter(message, sender, this, reason: null);

    public void SendSystemMessage(SystemMessage message)
    {
        if (message is DeathWatchNotification)
        {
            _terminated.TrySetResult();
        }
    }

    public bool Equals(IActorRef? other) => ReferenceEquals(this, other);

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public override int GetHashCode() => Path.GetHashCode();
}

/// <summary><c>/deadLetters</c>: whatever is sent here is published as a <see cref="DeadLetter"/>.</summary>
internal sealed class DeadLetterActorRef(ActorSystem system, ActorPath path) : IInternalActorRef
{
    public ActorPath Path { get; } = path;

    public ActorSystem System { get; } = system;

    public void Tell(object message, IActorRef? sender)
    {
        if (message is DeadLetter dead)
        {
            System.DeadLetter(dead.Message, dead.Sender, dead.Recipient, dead.Reason);
            return;
        }

        System.DeadLetter(message, sender, this, reason: null);
    }

    public void SendSystemMessage(SystemMessage message)
    {
        if (message is Watch watch)
        {
            watch.Watcher.SendSystemMessage(new DeathWatchNotification(watch.Watchee, existenceConfirmed: false));
        }
    }

    public bool Equals(IActorRef? other) => ReferenceEquals(this, other);

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public override int GetHashCode() => Path.GetHashCode();

    public override string ToString() => "[/deadLetters]";
}
