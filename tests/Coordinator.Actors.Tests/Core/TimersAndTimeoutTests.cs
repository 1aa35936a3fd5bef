namespace Coordinator.Actors.Tests.Core;

public sealed class TimersAndTimeoutTests() : ActorTest(manualTime: true)
{
    private sealed record StartSingle(object Key, object Message, TimeSpan Delay);

    private sealed record StartPeriodic(object Key, object Message, TimeSpan Interval);

    private sealed record CancelTimer(object Key);

    private sealed class TimerActor(IActorRef probe, ManualResetEventSlim? release = null) : UntypedActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case StartSingle s:
                    Timers.StartSingleTimer(s.Key, s.Message, s.Delay);
                    Sender.Tell("started");
                    break;
                case StartPeriodic p:
                    Timers.StartPeriodicTimer(p.Key, p.Message, p.Interval);
                    Sender.Tell("started");
                    break;
                case CancelTimer c:
                    Timers.Cancel(c.Key);
                    Sender.Tell(Timers.IsTimerActive(c.Key));
                    break;
                case "active":
                    Sender.Tell(Timers.ActiveTimers.Count);
                    break;
                case "fail":
                    throw new InvalidOperationException("restart me");
                case "block" when release is not null:
                    probe.Tell("blocked", null);
                    release.Wait(TimeSpan.FromSeconds(10));
                    break;
                default:
                    probe.Tell(message, null);
                    break;
            }
        }
    }

    private async Task<IActorRef> TimerActorWithProbe(TestProbe probe) => await Task.FromResult(Sys.ActorOf(Props.Create(() => new TimerActor(probe.Ref))));

    [Fact]
    public async Task SingleTimer_FiresOnceAfterItsDelay()
    {
        var probe = CreateProbe();
        var actor = await TimerActorWithProbe(probe);
        await actor.Ask<string>(new StartSingle("k", "tick", TimeSpan.FromSeconds(10)));

        Clock.Advance(TimeSpan.FromSeconds(9.999));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await probe.ExpectMsgAsync("tick");
        Clock.Advance(TimeSpan.FromMinutes(5));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, await actor.Ask<int>("active"));
    }

    [Fact]
    public async Task PeriodicTimer_FiresEveryInterval()
    {
        var probe = CreateProbe();
        var actor = await TimerActorWithProbe(probe);
        await actor.Ask<string>(new StartPeriodic("p", "beat", TimeSpan.FromSeconds(1)));

        Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(["beat", "beat", "beat"], (await probe.ReceiveNAsync(3)).Cast<string>());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Timer_SameKey_ReplacesThePreviousOne()
    {
        var probe = CreateProbe();
        var actor = await TimerActorWithProbe(probe);
        await actor.Ask<string>(new StartSingle("k", "old", TimeSpan.FromSeconds(1)));
        await actor.Ask<string>(new StartSingle("k", "new", TimeSpan.FromSeconds(2)));

        Clock.Advance(TimeSpan.FromSeconds(5));
        await probe.ExpectMsgAsync("new");
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Timer_ReplacedAfterItsMessageWasQueued_DropsTheOldMessage()
    {
        using var release = new ManualResetEventSlim();
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new TimerActor(probe.Ref, release)));
        await actor.Ask<string>(new StartSingle("k", "old", TimeSpan.FromSeconds(1)));
        actor.Tell("block", null);
        await probe.ExpectMsgAsync("blocked");
        probe.Send(actor, new StartSingle("k", "new", TimeSpan.FromSeconds(10))); // queued behind the block

        Clock.Advance(TimeSpan.FromSeconds(1)); // "old" fires into the queue, after the restart of "k"
        release.Set();
        await probe.ExpectMsgAsync("started");
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        Clock.Advance(TimeSpan.FromSeconds(10));
        await probe.ExpectMsgAsync("new");
    }

    [Fact]
    public async Task Timer_Cancelled_IsNeverDelivered()
    {
        var probe = CreateProbe();
        var actor = await TimerActorWithProbe(probe);
        await actor.Ask<string>(new StartSingle("k", "never", TimeSpan.FromSeconds(1)));
        Assert.False(await actor.Ask<bool>(new CancelTimer("k")));
        Clock.Advance(TimeSpan.FromSeconds(5));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Timers_AreCancelledOnRestart()
    {
        var probe = CreateProbe();
        var actor = await TimerActorWithProbe(probe);
        await actor.Ask<string>(new StartPeriodic("p", "beat", TimeSpan.FromSeconds(1)));
        actor.Tell("fail", null);
        Assert.Equal(0, await actor.Ask<int>("active"));
        Clock.Advance(TimeSpan.FromSeconds(5));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Timers_AreCancelledOnStop()
    {
        var probe = CreateProbe();
        var actor = await TimerActorWithProbe(probe);
        var timersBefore = Clock.ActiveTimers;
        await actor.Ask<string>(new StartPeriodic("p", "beat", TimeSpan.FromSeconds(1)));
        await actor.Ask<string>(new StartSingle("s", "once", TimeSpan.FromSeconds(1)));
        Assert.Equal(timersBefore + 2, Clock.ActiveTimers);

        probe.Watch(actor);
        Sys.Stop(actor);
        await probe.ExpectTerminatedAsync(actor);
        Assert.Equal(timersBefore, Clock.ActiveTimers);
    }

    private sealed class Idle(IActorRef probe, TimeSpan timeout) : UntypedActor
    {
        protected override void PreStart() => Context.SetReceiveTimeout(timeout);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case ReceiveTimeout:
                    probe.Tell("timeout", null);
                    break;
                case "off":
                    Context.SetReceiveTimeout(null);
                    Sender.Tell("off");
                    break;
                case "get":
                    Sender.Tell(Context.ReceiveTimeout!);
                    break;
                case Quiet:
                    break;
                default:
                    Sender.Tell("ack");
                    break;
            }
        }
    }

    private sealed class Quiet : INotInfluenceReceiveTimeout;

    [Fact]
    public async Task ReceiveTimeout_FiresAfterIdlePeriod_AndAgainAfterEachPeriod()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Idle(probe.Ref, TimeSpan.FromSeconds(30))));
        Assert.Equal(TimeSpan.FromSeconds(30), await actor.Ask<TimeSpan>("get"));

        Clock.Advance(TimeSpan.FromSeconds(29));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
        Clock.Advance(TimeSpan.FromSeconds(1));
        await probe.ExpectMsgAsync("timeout");
        Clock.Advance(TimeSpan.FromSeconds(30));
        await probe.ExpectMsgAsync("timeout");
    }

    [Fact]
    public async Task ReceiveTimeout_ActivityPostponesIt_ButNotInfluencingMessagesDoNot()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Idle(probe.Ref, TimeSpan.FromSeconds(30))));
        await actor.Ask<TimeSpan>("get");

        Clock.Advance(TimeSpan.FromSeconds(20));
        await actor.Ask<string>("activity");
        Clock.Advance(TimeSpan.FromSeconds(20));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50)); // 20 s since the last activity

        actor.Tell(new Quiet(), null);
        Clock.Advance(TimeSpan.FromSeconds(10));
        await probe.ExpectMsgAsync("timeout"); // 30 s since the last counted activity
    }

    [Fact]
    public async Task ReceiveTimeout_SwitchedOff_NeverFires()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Idle(probe.Ref, TimeSpan.FromSeconds(30))));
        await actor.Ask<string>("off");
        Clock.Advance(TimeSpan.FromMinutes(10));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task ReceiveTimeout_NotPositive_FailsTheActorWithAClearError()
    {
        var failed = new TaskCompletionSource<Coordinator.Actors.Events.ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<Coordinator.Actors.Events.ActorFailed>(f => failed.TrySetResult(f));
        var probe = CreateProbe();
        Sys.ActorOf(Props.Create(() => new Idle(probe.Ref, TimeSpan.Zero)));
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        var init = Assert.IsType<ActorInitializationException>(failure.Cause);
        var inner = Assert.IsType<ArgumentOutOfRangeException>(init.InnerException);
        Assert.Contains("positive", inner.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scheduler_ScheduleTellOnceAndRepeatedly_UseTheSystemClock()
    {
        var probe = CreateProbe();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(5), probe.Ref, "once", null);
        var repeated = Sys.Scheduler.ScheduleTellRepeatedly(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), probe.Ref, "again", null);

        Clock.Advance(TimeSpan.FromSeconds(1));
        await probe.ExpectMsgAsync("again");
        Clock.Advance(TimeSpan.FromSeconds(4));
        var messages = await probe.ReceiveNAsync(3);
        Assert.Equal(2, messages.Count(m => Equals(m, "again")));
        Assert.Single(messages, "once");

        repeated.Cancel();
        Assert.True(repeated.IsCancellationRequested);
        Clock.Advance(TimeSpan.FromSeconds(10));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
    }
}
