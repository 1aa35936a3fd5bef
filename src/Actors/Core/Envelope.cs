namespace Coordinator.Actors.Core;

/// <summary>
/// A user message in flight, and at the same time the node of the mailbox's lock-free queue
/// (one allocation per message instead of a message plus a queue slot).
/// </summary>
internal sealed class Envelope
{
    public object? Message;
    public IActorRef? Sender;
    public Envelope? Next;

    public Envelope(object? message, IActorRef? sender)
    {
        Message = message;
        Sender = sender;
    }
}

/// <summary>A message taken out of the mailbox into the stash.</summary>
internal readonly record struct StashedMessage(object Message, IActorRef? Sender);
