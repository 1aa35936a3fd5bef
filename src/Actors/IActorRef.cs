using Coordinator.Actors.Core;

namespace Coordinator.Actors;

/// <summary>
/// A handle to an actor. Sending never blocks and never fails: a message to a stopped actor
/// becomes a dead letter. Refs are safe to share across threads and to keep in messages.
/// </summary>
public interface IActorRef : IEquatable<IActorRef>
{
    /// <summary>Where the actor lives.</summary>
    ActorPath Path { get; }

    /// <summary>Sends <paramref name="message"/> asynchronously; <paramref name="sender"/> is what the receiver sees as <c>Sender</c>.</summary>
    void Tell(object message, IActorRef? sender);
}

/// <summary>Conveniences on <see cref="IActorRef"/> in Akka.NET's vocabulary.</summary>
public static class ActorRefExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with the current actor as sender when called inside an
    /// actor (Akka.NET's implicit sender), otherwise with no sender.
    /// </summary>
    public static void Tell(this IActorRef receiver, object message)
        => receiver.Tell(message, ActorCell.Current?.Self);

    /// <summary>Sends <paramref name="message"/> keeping the original sender of the message being processed.</summary>
    /// <exception cref="InvalidOperationException">Called outside an actor's message handler.</exception>
    public static void Forward(this IActorRef receiver, object message)
    {
        var cell = ActorCell.Current
            ?? throw new InvalidOperationException("Forward must be called from inside an actor's message handler, where there is a sender to keep; use Tell elsewhere.");
        receiver.Tell(message, cell.CurrentSender);
    }

    /// <summary>
    /// Sends <paramref name="message"/> and waits for the first reply. A reply of
    /// <see cref="Status.Failure"/> faults the task with its cause.
    /// </summary>
    /// <param name="receiver">The actor to ask.</param>
    /// <param name="message">The question.</param>
    /// <param name="timeout">How long to wait; null uses <see cref="ActorSystemSettings.AskTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="AskTimeoutException">No reply within the timeout; names the target and message type.</exception>
    /// <exception cref="InvalidCastException">The reply is not a <typeparamref name="T"/>.</exception>
    public static async Task<T> Ask<T>(this IActorRef receiver, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var reply = await Ask(receiver, message, timeout, cancellationToken).ConfigureAwait(false);
        return reply is T typed
            ? typed
            : throw new InvalidCastException($"Ask to {receiver.Path} with message of type {message.GetType().Name} expected a reply of type {typeof(T).Name} but received {(reply is null ? "null" : reply.GetType().Name)}.");
    }

    /// <summary>Sends <paramref name="message"/> and waits for the first reply of any type.</summary>
    /// <exception cref="AskTimeoutException">No reply within the timeout.</exception>
    public static Task<object?> Ask(this IActorRef receiver, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var system = ActorSystem.Of(receiver);
        var effective = timeout ?? system.Settings.AskTimeout;
        if (effective <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), effective, "Ask needs a positive timeout.");
        }

        var promise = new PromiseActorRef(system, receiver, message.GetType(), effective, cancellationToken);
        receiver.Tell(message, promise);
        return promise.Task;
    }

    /// <summary>
    /// Stops <paramref name="receiver"/> after it has processed the messages already in its mailbox
    /// (a <see cref="PoisonPill"/>) and waits until it has terminated.
    /// </summary>
    /// <returns>True when it terminated within <paramref name="timeout"/>, false otherwise.</returns>
    public static async Task<bool> GracefulStop(this IActorRef receiver, TimeSpan timeout)
    {
        var terminated = WatchAsync(receiver);
        receiver.Tell(PoisonPill.Instance, null);
        var system = ActorSystem.Of(receiver);
        using var cts = new CancellationTokenSource(timeout, system.TimeProvider);
        try
        {
            await terminated.WaitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A task that completes when <paramref name="subject"/> has terminated (at once if it already has).</summary>
    public static Task WatchAsync(this IActorRef subject)
    {
        var system = ActorSystem.Of(subject);
        var watcher = new TerminationWatcher(system, subject);
        return watcher.Task;
    }
}
