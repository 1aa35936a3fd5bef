namespace Coordinator.Actors;

/// <summary>
/// Marks an actor that stashes messages; the runtime sets <see cref="Stash"/> before the
/// constructor's handlers run. Stashed messages survive restarts (they are unstashed first) and
/// become dead letters when the actor stops.
/// </summary>
public interface IWithStash
{
    /// <summary>The actor's stash, injected by the runtime.</summary>
    IStash Stash { get; set; }
}

/// <summary>Sets messages aside to process them later, in their original order.</summary>
public interface IStash
{
    /// <summary>Number of stashed messages.</summary>
    int Count { get; }

    /// <summary>Sets the message being processed aside.</summary>
    /// <exception cref="IllegalActorStateException">The message was stashed already.</exception>
    /// <exception cref="StashOverflowException">The stash holds <see cref="ActorSystemSettings.StashCapacity"/> messages already.</exception>
    void Stash();

    /// <summary>Puts the oldest stashed message back in front of the mailbox.</summary>
    void Unstash();

    /// <summary>Puts every stashed message back in front of the mailbox, oldest first.</summary>
    void UnstashAll();

    /// <summary>Empties the stash and returns what it held, oldest first.</summary>
    IReadOnlyList<object> ClearStash();
}
