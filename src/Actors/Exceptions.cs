namespace Coordinator.Actors;

/// <summary>Base of the runtime's own exceptions.</summary>
public class ActorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ActorException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The actor's constructor, <c>PreStart</c> or <c>PostRestart</c> threw. The default strategy stops such an actor.</summary>
public sealed class ActorInitializationException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public ActorInitializationException(ActorPath? actor, string message, Exception? innerException = null)
        : base(actor is null ? message : $"{actor}: {message}", innerException)
    {
        Actor = actor;
    }

    /// <summary>The actor that failed to initialise.</summary>
    public ActorPath? Actor { get; }
}

/// <summary>Raised inside an actor that received <see cref="Kill"/>.</summary>
public sealed class ActorKilledException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public ActorKilledException(string message)
        : base(message)
    {
    }
}

/// <summary>An actor received <see cref="Terminated"/> for a watched actor and did not handle it.</summary>
public sealed class DeathPactException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public DeathPactException(IActorRef deadActor)
        : base($"Monitored actor [{deadActor.Path}] terminated and the watcher does not handle Terminated; handle it or unwatch.")
    {
        DeadActor = deadActor;
    }

    /// <summary>The actor that terminated.</summary>
    public IActorRef DeadActor { get; }
}

/// <summary>No reply arrived within an <c>Ask</c>'s timeout.</summary>
public sealed class AskTimeoutException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public AskTimeoutException(string message)
        : base(message)
    {
    }
}

/// <summary>An actor name breaks the naming rules or is already taken under the parent.</summary>
public sealed class InvalidActorNameException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public InvalidActorNameException(string message)
        : base(message)
    {
    }
}

/// <summary>An operation was used where the actor's state does not allow it (e.g. stashing a message twice).</summary>
public sealed class IllegalActorStateException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public IllegalActorStateException(string message)
        : base(message)
    {
    }
}

/// <summary>The stash is full; see <see cref="ActorSystemSettings.StashCapacity"/>.</summary>
public sealed class StashOverflowException : ActorException
{
    /// <summary>Creates the exception.</summary>
    public StashOverflowException(string message)
        : base(message)
    {
    }
}
