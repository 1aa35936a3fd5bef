namespace Coordinator.Actors.Dispatch;

/// <summary>
/// How an actor's mailbox holds messages. System messages (stop, watch, supervision) always
/// overtake user messages and are never refused.
/// </summary>
public sealed record MailboxOptions
{
    private MailboxOptions(int capacity)
    {
        Capacity = capacity;
    }

    /// <summary>An unbounded mailbox (the default): sending never waits and never drops.</summary>
    public static MailboxOptions Unbounded { get; } = new(0);

    /// <summary>
    /// The most user messages the mailbox holds; 0 means unbounded. When full,
    /// <see cref="IActorRef.Tell"/> sends the message to dead letters (the documented overflow
    /// policy, counted and published as a <see cref="Events.DeadLetter"/> with reason
    /// "mailbox full"), while <see cref="BoundedMailboxExtensions.TellAsync"/> waits for room:
    /// producers that must not lose messages use it and get backpressure.
    /// </summary>
    public int Capacity { get; }

    /// <summary>True when <see cref="Capacity"/> limits the mailbox.</summary>
    public bool IsBounded => Capacity > 0;

    /// <summary>A mailbox that holds at most <paramref name="capacity"/> user messages.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public static MailboxOptions Bounded(int capacity)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A bounded mailbox needs a capacity of at least 1; use MailboxOptions.Unbounded for no limit.");
        }

        return new MailboxOptions(capacity);
    }

    /// <inheritdoc />
    public override string ToString() => IsBounded ? $"bounded({Capacity})" : "unbounded";
}
