namespace Coordinator.Actors;

/// <summary>A behaviour: handles a message and returns false when it does not handle it.</summary>
public delegate bool Receive(object message);

/// <summary>
/// What an actor can do to itself and its surroundings while it processes a message. Use it
/// only from the actor's own handlers (never from another thread or a callback that escapes
/// the actor).
/// </summary>
public interface IActorContext
{
    /// <summary>This actor.</summary>
    IActorRef Self { get; }

    /// <summary>The sender of the message being processed, or dead letters when there is none.</summary>
    IActorRef Sender { get; }

    /// <summary>This actor's supervisor.</summary>
    IActorRef Parent { get; }

    /// <summary>The props this actor was made from.</summary>
    Props Props { get; }

    /// <summary>The system this actor belongs to.</summary>
    ActorSystem System { get; }

    /// <summary>The current receive timeout, if one is set.</summary>
    TimeSpan? ReceiveTimeout { get; }

    /// <summary>Creates a child actor supervised by this actor.</summary>
    /// <exception cref="InvalidActorNameException">The name is invalid or already used by a living or stopping child.</exception>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>The living children of this actor.</summary>
    IReadOnlyCollection<IActorRef> GetChildren();

    /// <summary>The child of that name, or null.</summary>
    IActorRef? Child(string name);

    /// <summary>Stops <paramref name="actor"/> (a child or this actor) asynchronously: its children stop first, then it.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Terminated"/> to this actor when <paramref name="subject"/> stops.</summary>
    IActorRef Watch(IActorRef subject);

    /// <summary>Stops watching; no <see cref="Terminated"/> for <paramref name="subject"/> is delivered after this call.</summary>
    IActorRef Unwatch(IActorRef subject);

    /// <summary>Replaces the current behaviour.</summary>
    void Become(Receive receive);

    /// <summary>Pushes a behaviour on top of the current one; <see cref="UnbecomeStacked"/> returns to it.</summary>
    void BecomeStacked(Receive receive);

    /// <summary>Returns to the behaviour below the current one.</summary>
    void UnbecomeStacked();

    /// <summary>
    /// Sends <see cref="Actors.ReceiveTimeout"/> to this actor after <paramref name="timeout"/>
    /// without messages (messages marked <see cref="INotInfluenceReceiveTimeout"/> do not count);
    /// null switches it off.
    /// </summary>
    void SetReceiveTimeout(TimeSpan? timeout);

    /// <summary>
    /// Runs <paramref name="action"/> as part of the current message: the actor processes no other
    /// message until the task completes, and continuations run on the actor (Akka.NET's RunTask).
    /// </summary>
    void RunTask(Func<Task> action);
}
