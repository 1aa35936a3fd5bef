namespace Coordinator.Actors.Tests;

/// <summary>Small actors shared by the tests.</summary>
internal static class TestActors
{
    /// <summary>Replies to the sender with whatever it receives.</summary>
    public sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    /// <summary>Forwards everything it receives to a probe, with the original sender.</summary>
    public sealed class Relay(IActorRef target) : UntypedActor
    {
        protected override void OnReceive(object message) => target.Forward(message);
    }

    /// <summary>Throws the exception it receives; answers anything else with its state counter.</summary>
    public sealed class Fragile : UntypedActor
    {
        private readonly IActorRef? _reporter;
        private int _state;

        public Fragile(IActorRef? reporter = null)
        {
            _reporter = reporter;
            _reporter?.Tell("created", null);
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Exception ex:
                    throw ex;
                case "inc":
                    _state++;
                    break;
                case "get":
                    Sender.Tell(_state);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        protected override void PostStop() => _reporter?.Tell("stopped", null);
    }

    /// <summary>A parent that creates children on request and supervises them with a given strategy.</summary>
    public sealed class Parent(Coordinator.Actors.Supervision.SupervisorStrategy? strategy = null) : UntypedActor
    {
        protected override Coordinator.Actors.Supervision.SupervisorStrategy? SupervisorStrategy() => strategy;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case CreateChild create:
                    Sender.Tell(Context.ActorOf(create.Props, create.Name));
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    public sealed record CreateChild(Props Props, string? Name = null);

    /// <summary>Blocks its thread on "block" until released; reports everything else (and its stop) to the probe.</summary>
    public sealed class Gate(ManualResetEventSlim release, IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is "block")
            {
                probe.Tell("blocked", null);
                release.Wait(TimeSpan.FromSeconds(10));
                return;
            }

            probe.Tell(message, null);
        }

        protected override void PostStop() => probe.Tell("post-stop", null);
    }
}
