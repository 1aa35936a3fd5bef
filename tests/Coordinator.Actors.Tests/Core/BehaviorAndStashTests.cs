using Coordinator.Actors.Events;

namespace Coordinator.Actors.Tests.Core;

public sealed class BehaviorAndStashTests : ActorTest
{
    private sealed class Switch : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "angry":
                    Context.Become(Angry);
                    break;
                case "stack-angry":
                    Context.BecomeStacked(Angry);
                    break;
                default:
                    Sender.Tell($"calm:{message}");
                    break;
            }
        }

        private bool Angry(object message)
        {
            switch (message)
            {
                case "unbecome":
                    Context.UnbecomeStacked();
                    return true;
                case string s:
                    Sender.Tell($"angry:{s}");
                    return true;
                default:
                    return false;
            }
        }
    }

    [Fact]
    public async Task Become_ReplacesTheBehaviour()
    {
        var actor = Sys.ActorOf(Props.Create<Switch>());
        Assert.Equal("calm:a", await actor.Ask<string>("a"));
        actor.Tell("angry", null);
        Assert.Equal("angry:b", await actor.Ask<string>("b"));
        actor.Tell("unbecome", null); // nothing stacked: stays angry
        Assert.Equal("angry:c", await actor.Ask<string>("c"));
    }

    [Fact]
    public async Task BecomeStacked_UnbecomeStacked_ReturnsToThePreviousBehaviour()
    {
        var actor = Sys.ActorOf(Props.Create<Switch>());
        actor.Tell("stack-angry", null);
        Assert.Equal("angry:x", await actor.Ask<string>("x"));
        actor.Tell("unbecome", null);
        Assert.Equal("calm:y", await actor.Ask<string>("y"));
    }

    private sealed class Door : ReceiveActor
    {
        public Door()
        {
            Receive<string>(s => s == "open", _ => Become(Open));
            Receive<string>(s => Sender.Tell($"closed:{s}"));
        }

        private void Open()
        {
            Receive<string>(s => s == "close", _ => Become(() => Receive<string>(s => Sender.Tell($"closed-again:{s}"))));
            Receive<string>(s => Sender.Tell($"open:{s}"));
        }
    }

    [Fact]
    public async Task ReceiveActor_BecomeWithHandlers_SwitchesHandlerSets()
    {
        var door = Sys.ActorOf(Props.Create<Door>());
        Assert.Equal("closed:knock", await door.Ask<string>("knock"));
        door.Tell("open", null);
        Assert.Equal("open:enter", await door.Ask<string>("enter"));
        door.Tell("close", null);
        Assert.Equal("closed-again:knock", await door.Ask<string>("knock"));
    }

    private sealed class LateDeclaration : ReceiveActor
    {
        public LateDeclaration() => ReceiveAny(_ => Receive<int>(_ => { }));
    }

    [Fact]
    public async Task ReceiveActor_DeclaringHandlersOutsideTheConstructor_FailsClearly()
    {
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var actor = Sys.ActorOf(Props.Create<LateDeclaration>());
        actor.Tell("x", null);
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<InvalidOperationException>(failure.Cause);
        Assert.Contains("constructor", failure.Cause.Message, StringComparison.Ordinal);
    }

    /// <summary>Stashes while "closed"; on "open" unstashes and reports everything in order.</summary>
    private sealed class Stasher(IActorRef probe) : UntypedActor, IWithStash
    {
        public IStash Stash { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "open":
                    Context.Become(Open);
                    Stash.UnstashAll();
                    break;
                case "twice":
                    Stash.Stash();
                    Stash.Stash();
                    break;
                case "boom":
                    throw new InvalidOperationException("boom while closed");
                default:
                    Stash.Stash();
                    break;
            }
        }

        private bool Open(object message)
        {
            probe.Tell(message, null);
            return true;
        }
    }

    [Fact]
    public async Task Stash_UnstashAll_DeliversInOriginalOrderBeforeNewMessages()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Stasher(probe.Ref)));
        for (var i = 1; i <= 5; i++)
        {
            actor.Tell(i, null);
        }

        actor.Tell("open", null);
        actor.Tell(6, null);
        Assert.Equal([1, 2, 3, 4, 5, 6], (await probe.ReceiveNAsync(6)).Cast<int>());
    }

    [Fact]
    public async Task Stash_SameMessageTwice_FailsWithIllegalState()
    {
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var actor = Sys.ActorOf(Props.Create(() => new Stasher(Sys.DeadLetters)));
        actor.Tell("twice", null);
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<IllegalActorStateException>(failure.Cause);
    }

    [Fact]
    public async Task Stash_SurvivesRestart_MessagesAreNotLost()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Stasher(probe.Ref)));
        actor.Tell(1, null);
        actor.Tell(2, null);
        actor.Tell("boom", null); // restart: stashed 1 and 2 go back to the mailbox
        actor.Tell("open", null);
        Assert.Equal([1, 2], (await probe.ReceiveNAsync(2)).Cast<int>());
    }

    [Fact]
    public async Task Stash_OnStop_StashedMessagesBecomeDeadLetters()
    {
        var dead = new List<DeadLetter>();
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => { lock (dead) { dead.Add(d); } });
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Stasher(probe.Ref)));
        actor.Tell("kept-1", null);
        actor.Tell("kept-2", null);
        probe.Watch(actor);
        actor.Tell(PoisonPill.Instance, null);
        await probe.ExpectTerminatedAsync(actor);
        lock (dead)
        {
            Assert.Equal(["kept-1", "kept-2"], dead.Select(d => (string)d.Message));
        }
    }
}
