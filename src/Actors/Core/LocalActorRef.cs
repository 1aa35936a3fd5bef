namespace Coordinator.Actors.Core;

/// <summary>A ref to an actor in this process: a path and the cell that runs it.</summary>
internal sealed class LocalActorRef : IInternalActorRef
{
    public LocalActorRef(ActorCell cell, ActorPath path)
    {
        Cell = cell;
        Path = path;
    }

    public ActorCell Cell { get; }

    public ActorPath Path { get; }

    public ActorSystem System => Cell.SystemImpl;

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        Cell.Post(message, sender);
    }

    public void SendSystemMessage(SystemMessage message) => Cell.SendSystemMessage(message);

    public bool Equals(IActorRef? other)
        => other is not null && (ReferenceEquals(this, other) || (other.Path.Uid == Path.Uid && other.Path.Equals(Path)));

    public override bool Equals(object? obj) => obj is IActorRef other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Path.Uid, Path.Name);

    public override string ToString() => $"[{Path}#{Path.Uid}]";
}
