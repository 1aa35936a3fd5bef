namespace Coordinator.Actors.Core;

/// <summary>
/// The actor of <c>/</c>, <c>/user</c> and <c>/system</c>. The root stops the system in order:
/// user actors first, then system actors, then itself.
/// </summary>
internal sealed class GuardianActor : ActorBase
{
    protected override bool Receive(object message)
    {
        switch (message)
        {
            case StopSystem:
                var children = Context.GetChildren().ToList();
                var user = children.Find(static c => c.Path.Name == "user");
                if (user is not null)
                {
                    Context.Watch(user);
                    Context.Stop(user);
                }
                else
                {
                    Context.Stop(Self);
                }

                return true;
            case Terminated { ActorRef.Path.Name: "user" }:
                Context.Stop(Self);
                return true;
            case Terminated:
                return true;
            default:
                return false;
        }
    }

    /// <summary>Sent to the root to stop the whole system.</summary>
    internal sealed class StopSystem
    {
        public static readonly StopSystem Instance = new();
    }
}
