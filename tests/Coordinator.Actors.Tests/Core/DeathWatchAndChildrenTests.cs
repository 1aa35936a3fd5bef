using Coordinator.Actors.Events;
using static Coordinator.Actors.Tests.TestActors;

namespace Coordinator.Actors.Tests.Core;

public sealed class DeathWatchAndChildrenTests : ActorTest
{
    private sealed class Watcher(IActorRef subject, IActorRef probe, bool handleTerminated = true) : UntypedActor
    {
        protected override void PreStart() => Context.Watch(subject);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Terminated t when handleTerminated:
                    probe.Tell($"terminated:{t.ActorRef.Path.Name}:{t.ExistenceConfirmed}", null);
                    break;
                case "unwatch":
                    Context.Unwatch(subject);
                    Sender.Tell("unwatched");
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        protected override void PostStop() => probe.Tell("watcher-stopped", null);
    }

    [Fact]
    public async Task Watch_StoppedActor_NotifiesWatcher()
    {
        var probe = CreateProbe();
        var subject = Sys.ActorOf(Props.Create<Echo>(), "subject");
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(subject, probe.Ref, true)));
        await watcher.Ask(new Identify(null)); // watch registered in PreStart
        Sys.Stop(subject);
        await probe.ExpectMsgAsync("terminated:subject:True");
    }

    [Fact]
    public async Task Watch_AlreadyDeadActor_NotifiesAtOnce()
    {
        var probe = CreateProbe();
        var subject = Sys.ActorOf(Props.Create<Echo>(), "gone");
        probe.Watch(subject);
        Sys.Stop(subject);
        await probe.ExpectTerminatedAsync(subject);

        Sys.ActorOf(Props.Create(() => new Watcher(subject, probe.Ref, true)));
        await probe.ExpectMsgAsync<string>(s => s.StartsWith("terminated:gone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unwatch_NoTerminatedAfterwards()
    {
        var probe = CreateProbe();
        var subject = Sys.ActorOf(Props.Create<Echo>());
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(subject, probe.Ref, true)));
        Assert.Equal("unwatched", await watcher.Ask<string>("unwatch"));
        var confirm = CreateProbe();
        confirm.Watch(subject);
        Sys.Stop(subject);
        await confirm.ExpectTerminatedAsync(subject);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
    }

    private sealed class BlockingWatcher(IActorRef subject, IActorRef probe, ManualResetEventSlim release) : UntypedActor
    {
        protected override void PreStart() => Context.Watch(subject);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "block":
                    probe.Tell("blocked", null);
                    release.Wait(TimeSpan.FromSeconds(10));
                    break;
                case "unwatch":
                    Context.Unwatch(subject);
                    probe.Tell("unwatched", null);
                    break;
                case Terminated t:
                    probe.Tell($"terminated:{t.ActorRef.Path.Name}", null);
                    break;
            }
        }
    }

    [Fact]
    public async Task Unwatch_ProcessedBeforeAnAlreadyQueuedTerminated_DropsIt()
    {
        using var release = new ManualResetEventSlim();
        var probe = CreateProbe();
        var subject = Sys.ActorOf(Props.Create<Echo>(), "queued-death");
        var watcher = Sys.ActorOf(Props.Create(() => new BlockingWatcher(subject, probe.Ref, release)));
        await watcher.Ask(new Identify(null)); // the watch is registered
        watcher.Tell("block", null);
        await probe.ExpectMsgAsync("blocked");
        watcher.Tell("unwatch", null); // queued behind the blocked handler

        var other = CreateProbe();
        other.Watch(subject);
        Sys.Stop(subject);
        await other.ExpectTerminatedAsync(subject); // the watcher's notice is queued now too
        release.Set();

        await probe.ExpectMsgAsync("unwatched");
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
    }

    [Fact]
    public async Task Watch_TerminatedNotHandled_FailsWithDeathPactAndStops()
    {
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var probe = CreateProbe();
        var subject = Sys.ActorOf(Props.Create<Echo>());
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(subject, probe.Ref, false)));
        await watcher.Ask(new Identify(null));
        Sys.Stop(subject);

        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<DeathPactException>(failure.Cause);
        Assert.Equal(Coordinator.Actors.Supervision.Directive.Stop, failure.Directive);
        await probe.ExpectMsgAsync("watcher-stopped");
    }

    private sealed class Recorder(string name, List<string> log, int children = 0) : UntypedActor
    {
        protected override void PreStart()
        {
            lock (log)
            {
                log.Add($"start:{name}");
            }

            for (var i = 0; i < children; i++)
            {
                var childName = $"{name}.{i}"; // the factory runs later: capture the value, not the loop variable
                Context.ActorOf(Props.Create(() => new Recorder(childName, log, 0)), $"c{i}");
            }
        }

        protected override void PostStop()
        {
            lock (log)
            {
                log.Add($"stop:{name}");
            }
        }

        protected override void OnReceive(object message) => Sender.Tell(Context.GetChildren().Count);
    }

    [Fact]
    public async Task Stop_Parent_StopsChildrenFirst()
    {
        var log = new List<string>();
        var probe = CreateProbe();
        var parent = Sys.ActorOf(Props.Create(() => new Recorder("p", log, 3)));
        await Eventually.TrueAsync(() => parent.Ask<int>("children").GetAwaiter().GetResult() == 3, "three children");

        probe.Watch(parent);
        Sys.Stop(parent);
        await probe.ExpectTerminatedAsync(parent);
        lock (log)
        {
            var parentStop = log.IndexOf("stop:p");
            Assert.True(parentStop > 0, "the parent's PostStop must run");
            Assert.All(new[] { "stop:p.0", "stop:p.1", "stop:p.2" }, c => Assert.InRange(log.IndexOf(c), 0, parentStop - 1));
        }
    }

    [Fact]
    public async Task PoisonPill_ProcessesEarlierMessagesThenStops()
    {
        var dead = new List<DeadLetter>();
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => { lock (dead) { dead.Add(d); } });
        var probe = CreateProbe();
        var relay = Sys.ActorOf(Props.Create(() => new Relay(probe.Ref)));
        probe.Watch(relay);
        relay.Tell(1, null);
        relay.Tell(2, null);
        relay.Tell(PoisonPill.Instance, null);
        relay.Tell(3, null);
        Assert.Equal([1, 2], (await probe.ReceiveNAsync(2)).Cast<int>());
        await probe.ExpectTerminatedAsync(relay);
        await Eventually.TrueAsync(() => { lock (dead) { return dead.Any(d => Equals(d.Message, 3)); } }, "the message after the PoisonPill to be a dead letter");
    }

    [Fact]
    public async Task Kill_FailsWithActorKilled_AndTheDefaultStrategyStops()
    {
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create<Echo>());
        probe.Watch(actor);
        actor.Tell(Kill.Instance, null);
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.IsType<ActorKilledException>(failure.Cause);
        await probe.ExpectTerminatedAsync(actor);
    }

    [Fact]
    public async Task GracefulStop_ReturnsTrueOnceTerminated()
    {
        var actor = Sys.ActorOf(Props.Create<Echo>());
        Assert.True(await actor.GracefulStop(TimeSpan.FromSeconds(5)));
        Assert.Null(Sys.Resolve(actor.Path.ToString()));
        await actor.WatchAsync().WaitAsync(TimeSpan.FromSeconds(1)); // already dead: completes at once
    }

    [Fact]
    public async Task MessageToStoppedActor_IsPublishedAsDeadLetterWithRecipient()
    {
        var dead = new TaskCompletionSource<DeadLetter>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => dead.TrySetResult(d));
        var actor = Sys.ActorOf(Props.Create<Echo>(), "late");
        await actor.GracefulStop(TimeSpan.FromSeconds(5));
        var probe = CreateProbe();
        actor.Tell("too late", probe.Ref);

        var letter = await dead.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("too late", letter.Message);
        Assert.Equal(actor, letter.Recipient);
        Assert.Equal(probe.Ref, letter.Sender);
        Assert.Null(letter.Reason);
    }
}
