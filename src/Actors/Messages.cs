namespace Coordinator.Actors;

/// <summary>
/// Messages the runtime handles itself before the actor's behaviour sees them (Akka.NET's
/// auto-received messages).
/// </summary>
public abstract class AutoReceivedMessage
{
    private protected AutoReceivedMessage()
    {
    }
}

/// <summary>Stops the actor after the messages queued before it; later ones go to dead letters.</summary>
public sealed class PoisonPill : AutoReceivedMessage
{
    private PoisonPill()
    {
    }

    /// <summary>The single instance.</summary>
    public static PoisonPill Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "PoisonPill";
}

/// <summary>Makes the actor fail with <see cref="ActorKilledException"/>, so its supervisor decides (by default: stop).</summary>
public sealed class Kill : AutoReceivedMessage
{
    private Kill()
    {
    }

    /// <summary>The single instance.</summary>
    public static Kill Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "Kill";
}

/// <summary>Asks an actor for its ref; it answers <see cref="ActorIdentity"/>.</summary>
public sealed class Identify : AutoReceivedMessage
{
    /// <summary>Creates an identify request carrying <paramref name="messageId"/> back in the answer.</summary>
    public Identify(object? messageId) => MessageId = messageId;

    /// <summary>Correlates the answer.</summary>
    public object? MessageId { get; }
}

/// <summary>The answer to <see cref="Identify"/>.</summary>
/// <param name="MessageId">The id from the request.</param>
/// <param name="Subject">The actor, or null if none lives there.</param>
public sealed record ActorIdentity(object? MessageId, IActorRef? Subject);

/// <summary>
/// Delivered to a watcher when an actor it watches has stopped. An actor that watches but does
/// not handle it fails with <see cref="DeathPactException"/>.
/// </summary>
public sealed class Terminated : AutoReceivedMessage, IEquatable<Terminated>
{
    /// <summary>Creates the notification.</summary>
    public Terminated(IActorRef actorRef, bool existenceConfirmed)
    {
        ActorRef = actorRef;
        ExistenceConfirmed = existenceConfirmed;
    }

    /// <summary>The actor that stopped.</summary>
    public IActorRef ActorRef { get; }

    /// <summary>False when the actor was already gone (or never existed) when the watch began.</summary>
    public bool ExistenceConfirmed { get; }

    /// <inheritdoc />
    public bool Equals(Terminated? other) => other is not null && other.ActorRef.Equals(ActorRef);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Terminated t && Equals(t);

    /// <inheritdoc />
    public override int GetHashCode() => ActorRef.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"Terminated({ActorRef.Path})";
}

/// <summary>Marks messages that do not count as activity for <see cref="IActorContext.SetReceiveTimeout"/>.</summary>
public interface INotInfluenceReceiveTimeout
{
}

/// <summary>Delivered when no message arrived within the receive timeout.</summary>
public sealed class ReceiveTimeout : INotInfluenceReceiveTimeout
{
    private ReceiveTimeout()
    {
    }

    /// <summary>The single instance.</summary>
    public static ReceiveTimeout Instance { get; } = new();

    /// <inheritdoc />
    public override string ToString() => "ReceiveTimeout";
}

/// <summary>Replies that carry success or failure, understood by <c>Ask</c>.</summary>
public static class Status
{
    /// <summary>A successful outcome.</summary>
    /// <param name="Value">Optional payload.</param>
    public sealed record Success(object? Value);

    /// <summary>A failed outcome; <c>Ask</c> faults its task with <see cref="Cause"/>.</summary>
    /// <param name="Cause">What went wrong.</param>
    public sealed record Failure(Exception Cause);
}
