using Coordinator.Actors.Events;
using Coordinator.Actors.Supervision;
using static Coordinator.Actors.Tests.TestActors;

namespace Coordinator.Actors.Tests.Supervision;

public sealed class SupervisionTests() : ActorTest(manualTime: true)
{
    private sealed class Hooks : UntypedActor
    {
        private static int _instances;
        private readonly IActorRef _log;
        private readonly int _instance;
        private int _state;

        public Hooks(IActorRef log)
        {
            _log = log;
            _instance = Interlocked.Increment(ref _instances);
            _log.Tell("ctor", null);
        }

        protected override void PreStart() => _log.Tell("PreStart", null);

        protected override void PostStop() => _log.Tell("PostStop", null);

        protected override void PreRestart(Exception reason, object? message)
        {
            _log.Tell($"PreRestart:{reason.Message}:{message}", null);
            base.PreRestart(reason, message);
        }

        protected override void PostRestart(Exception reason)
        {
            _log.Tell($"PostRestart:{reason.Message}", null);
            base.PostRestart(reason);
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "inc":
                    _state++;
                    break;
                case "get":
                    Sender.Tell((_state, _instance));
                    break;
                case "fail":
                    throw new InvalidOperationException("broken");
            }
        }
    }

    private static Props ParentWith(SupervisorStrategy strategy) => Props.Create(() => new Parent(strategy));

    private static async Task<IActorRef> ChildOf(IActorRef parent, Props props, string? name = null)
        => await parent.Ask<IActorRef>(new CreateChild(props, name));

    [Fact]
    public async Task Restart_MakesAFreshInstance_ResetsStateAndRunsHooksInOrder()
    {
        var log = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(_ => Directive.Restart)));
        var child = await ChildOf(parent, Props.Create(() => new Hooks(log.Ref)));
        Assert.Equal(["ctor", "PreStart"], (await log.ReceiveNAsync(2)).Cast<string>());

        child.Tell("inc", null);
        child.Tell("inc", null);
        var (before, firstInstance) = await child.Ask<(int, int)>("get");
        Assert.Equal(2, before);

        child.Tell("fail", null);
        Assert.Equal(["PreRestart:broken:fail", "PostStop", "ctor", "PostRestart:broken", "PreStart"], (await log.ReceiveNAsync(5)).Cast<string>());
        var (after, secondInstance) = await child.Ask<(int, int)>("get");
        Assert.Equal(0, after);
        Assert.NotEqual(firstInstance, secondInstance);
    }

    [Fact]
    public async Task Restart_KeepsTheMailbox_MessagesAfterTheFailureAreProcessed()
    {
        var log = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(_ => Directive.Restart)));
        var child = await ChildOf(parent, Props.Create(() => new Hooks(log.Ref)));
        child.Tell("fail", null);
        child.Tell("inc", null);
        var (state, _) = await child.Ask<(int, int)>("get");
        Assert.Equal(1, state);
    }

    [Fact]
    public async Task Resume_KeepsTheInstanceAndItsState()
    {
        var log = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(_ => Directive.Resume)));
        var child = await ChildOf(parent, Props.Create(() => new Hooks(log.Ref)));
        child.Tell("inc", null);
        child.Tell("fail", null);
        child.Tell("inc", null);
        var (state, _) = await child.Ask<(int, int)>("get");
        Assert.Equal(2, state);
        await log.ReceiveNAsync(2); // ctor, PreStart
        await log.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100)); // no restart hooks
    }

    [Fact]
    public async Task Stop_NotifiesWatchers()
    {
        var log = CreateProbe();
        var watcher = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(_ => Directive.Stop)));
        var child = await ChildOf(parent, Props.Create(() => new Hooks(log.Ref)));
        watcher.Watch(child);
        child.Tell("fail", null);
        await watcher.ExpectTerminatedAsync(child);
        Assert.Empty(Sys.ChildrenOf(parent.Path.ToString()));
    }

    private sealed record Seen(string Who, Type Cause);

    private sealed class EscalatingMiddle(IActorRef probe) : UntypedActor
    {
        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

        protected override void PreStart() => Context.ActorOf(Props.Create(() => new Fragile(null)), "leaf");

        protected override void OnReceive(object message) => Context.Child("leaf")!.Forward(message);

        protected override void PreRestart(Exception reason, object? message)
        {
            probe.Tell(new Seen("middle-restarting", reason.GetType()), null);
            base.PreRestart(reason, message);
        }
    }

    [Fact]
    public async Task Escalate_ReachesTheParentOfTheSupervisor()
    {
        var probe = CreateProbe();
        var top = Sys.ActorOf(ParentWith(new OneForOneStrategy(cause =>
        {
            probe.Ref.Tell(new Seen("top-decides", cause.GetType()), null);
            return Directive.Restart;
        })));
        var middle = await ChildOf(top, Props.Create(() => new EscalatingMiddle(probe.Ref)), "middle");
        await Eventually.TrueAsync(() => Sys.Resolve("/user/" + top.Path.Name + "/middle/leaf") is not null, "the leaf to start");

        middle.Tell(new FormatException("bad data"), null);
        Assert.Equal(new Seen("top-decides", typeof(FormatException)), await probe.ExpectMsgAsync<Seen>());
        Assert.Equal(new Seen("middle-restarting", typeof(FormatException)), await probe.ExpectMsgAsync<Seen>());
    }

    [Fact]
    public async Task AllForOne_RestartsEverySibling()
    {
        var log1 = CreateProbe();
        var log2 = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new AllForOneStrategy(_ => Directive.Restart)));
        var first = await ChildOf(parent, Props.Create(() => new Hooks(log1.Ref)), "first");
        var second = await ChildOf(parent, Props.Create(() => new Hooks(log2.Ref)), "second");
        second.Tell("inc", null);
        await second.Ask<(int, int)>("get");
        await log1.ReceiveNAsync(2);
        await log2.ReceiveNAsync(2);

        first.Tell("fail", null);
        await log2.FishForMessageAsync<string>(s => s.StartsWith("PostRestart", StringComparison.Ordinal), hint: "the sibling restarted too");
        var (state, _) = await second.Ask<(int, int)>("get");
        Assert.Equal(0, state);
    }

    [Fact]
    public async Task OneForOne_LeavesSiblingsAlone()
    {
        var log1 = CreateProbe();
        var log2 = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(_ => Directive.Restart)));
        var first = await ChildOf(parent, Props.Create(() => new Hooks(log1.Ref)));
        var second = await ChildOf(parent, Props.Create(() => new Hooks(log2.Ref)));
        second.Tell("inc", null);
        first.Tell("fail", null);
        await log1.FishForMessageAsync<string>(s => s.StartsWith("PostRestart", StringComparison.Ordinal));
        var (state, _) = await second.Ask<(int, int)>("get");
        Assert.Equal(1, state);
    }

    [Fact]
    public async Task AllForOne_Stop_StopsEverySibling()
    {
        var watcher = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new AllForOneStrategy(_ => Directive.Stop)));
        var first = await ChildOf(parent, Props.Create(() => new Fragile(null)));
        var second = await ChildOf(parent, Props.Create(() => new Fragile(null)));
        watcher.Watch(first);
        watcher.Watch(second);
        first.Tell(new InvalidOperationException("x"), null);
        var stopped = await watcher.ReceiveNAsync(2);
        Assert.Equal(new[] { first, second }.ToHashSet(), stopped.Cast<Terminated>().Select(t => t.ActorRef).ToHashSet());
    }

    [Fact]
    public async Task RetryWindow_TooManyRestartsWithinTheWindow_StopsTheChild()
    {
        var watcher = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart)));
        var child = await ChildOf(parent, Props.Create(() => new Fragile(null)));
        watcher.Watch(child);

        child.Tell(new InvalidOperationException("1"), null);
        child.Tell(new InvalidOperationException("2"), null);
        Assert.Equal(0, await child.Ask<int>("get")); // two restarts allowed: still alive
        Clock.Advance(TimeSpan.FromSeconds(30));
        child.Tell(new InvalidOperationException("3"), null); // third within the minute
        await watcher.ExpectTerminatedAsync(child);
    }

    [Fact]
    public async Task RetryWindow_FailuresSpreadBeyondTheWindow_KeepRestarting()
    {
        var watcher = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart)));
        var child = await ChildOf(parent, Props.Create(() => new Fragile(null)));
        watcher.Watch(child);

        for (var i = 0; i < 6; i++)
        {
            child.Tell(new InvalidOperationException($"failure {i}"), null);
            Assert.Equal(0, await child.Ask<int>("get"));
            Clock.Advance(TimeSpan.FromSeconds(45)); // two failures never fall in the same minute's window twice
        }

        await watcher.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task MaxRetriesZero_StopsAtTheFirstFailure()
    {
        var watcher = CreateProbe();
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(0, null, _ => Directive.Restart)));
        var child = await ChildOf(parent, Props.Create(() => new Fragile(null)));
        watcher.Watch(child);
        child.Tell(new InvalidOperationException("once"), null);
        await watcher.ExpectTerminatedAsync(child);
    }

    private sealed class BrokenConstructor : UntypedActor
    {
        public BrokenConstructor() => throw new InvalidOperationException("cannot build");

        protected override void OnReceive(object message)
        {
        }
    }

    [Fact]
    public async Task ConstructorFailure_IsAnInitializationFailure_AndTheDefaultStops()
    {
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var watcher = CreateProbe();
        var actor = Sys.ActorOf(Props.Create<BrokenConstructor>());
        watcher.Watch(actor);
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<ActorInitializationException>(failure.Cause);
        Assert.Equal("cannot build", failure.Cause.InnerException!.Message);
        Assert.Equal(Directive.Stop, failure.Directive);
        await watcher.ExpectTerminatedAsync(actor);
    }

    [Fact]
    public async Task DefaultStrategy_RestartsOrdinaryExceptions()
    {
        var log = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Hooks(log.Ref)));
        await log.ReceiveNAsync(2);
        actor.Tell("fail", null);
        await log.FishForMessageAsync<string>(s => s.StartsWith("PostRestart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failure_IsPublishedAndCountedWithItsDirective()
    {
        using var metrics = new MetricsCapture("Coordinator.Actors", Sys.Name);
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var parent = Sys.ActorOf(ParentWith(new OneForOneStrategy(_ => Directive.Restart)));
        var child = await ChildOf(parent, Props.Create(() => new Fragile(null)), "counted");
        child.Tell(new TimeoutException("slow"), null);
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(child, failure.Actor);
        Assert.Equal(typeof(Fragile), failure.ActorType);
        Assert.Equal(Directive.Restart, failure.Directive);
        await Eventually.TrueAsync(() => metrics.Sum("coordinator.actors.restarts") == 1 && metrics.Sum("coordinator.actors.failures") == 1, "one failure and one restart to be counted");
    }
}
