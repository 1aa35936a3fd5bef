using Coordinator.Actors.Core;

namespace Coordinator.Actors.Dispatch;

/// <summary>Backpressure for producers that send to bounded mailboxes.</summary>
public static class BoundedMailboxExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/>, waiting while the receiver's bounded mailbox is full.
    /// Completes at once for unbounded mailboxes. A receiver that stops while a producer waits
    /// turns the message into a dead letter.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before there was room; the message was not sent.</exception>
    public static ValueTask TellAsync(this IActorRef receiver, object message, IActorRef? sender = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (receiver is LocalActorRef local)
        {
            return local.Cell.PostAsync(message, sender ?? ActorCell.Current?.Self, cancellationToken);
        }

        receiver.Tell(message, sender ?? ActorCell.Current?.Self);
        return ValueTask.CompletedTask;
    }
}
