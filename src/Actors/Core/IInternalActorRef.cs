namespace Coordinator.Actors.Core;

/// <summary>The runtime's view of a ref: it can take system messages.</summary>
internal interface IInternalActorRef : IActorRef
{
    ActorSystem System { get; }

    void SendSystemMessage(SystemMessage message);
}
