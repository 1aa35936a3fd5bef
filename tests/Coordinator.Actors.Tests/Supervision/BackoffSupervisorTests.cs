using Coordinator.Actors.Supervision;

namespace Coordinator.Actors.Tests.Supervision;

public sealed class BackoffSupervisorTests() : ActorTest(manualTime: true)
{
    /// <summary>Reports "started" from PreStart; stops on "stop", throws on "throw", echoes otherwise.</summary>
    private sealed class Child(IActorRef probe) : UntypedActor
    {
        protected override void PreStart() => probe.Tell("started", null);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "stop":
                    Context.Stop(Self);
                    break;
                case "throw":
                    throw new InvalidOperationException("child failed");
                default:
                    probe.Tell($"child:{message}", Sender);
                    break;
            }
        }
    }

    private IActorRef Supervisor(TestProbe probe, Func<BackoffOptions, BackoffOptions>? configure = null, BackoffMode mode = BackoffMode.OnStop)
    {
        var child = Props.Create(() => new Child(probe.Ref));
        var options = mode == BackoffMode.OnStop
            ? BackoffOptions.OnStop(child, "child", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), 0)
            : BackoffOptions.OnFailure(child, "child", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), 0);
        return Sys.ActorOf((configure?.Invoke(options) ?? options).Props());
    }

    private async Task ExpectRestartAfter(TestProbe probe, TimeSpan delay)
    {
        Clock.Advance(delay - TimeSpan.FromMilliseconds(1));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(60));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await probe.ExpectMsgAsync<string>(s => s == "started", hint: $"restart after {delay.TotalSeconds} s");
    }

    /// <summary>Stops the child and waits until the supervisor has seen it die (and armed its restart timer).</summary>
    private static async Task StopChild(IActorRef supervisor, string how = "stop")
    {
        supervisor.Tell(how, null);
        await Eventually.TrueAsync(
            () => supervisor.Ask<BackoffSupervisor.CurrentChild>(BackoffSupervisor.GetCurrentChild.Instance).GetAwaiter().GetResult().Ref is null,
            "the supervisor to notice that its child stopped");
    }

    [Fact]
    public async Task OnStop_RestartsAfterExponentialDelaysCappedAtMax()
    {
        var probe = CreateProbe();
        var supervisor = Supervisor(probe, o => o.WithManualReset());
        await probe.ExpectMsgAsync("started");

        foreach (var seconds in new[] { 1, 2, 4, 4 })
        {
            await StopChild(supervisor);
            await ExpectRestartAfter(probe, TimeSpan.FromSeconds(seconds));
        }

        Assert.Equal(4, (await supervisor.Ask<BackoffSupervisor.RestartCount>(BackoffSupervisor.GetRestartCount.Instance)).Count);
    }

    [Fact]
    public async Task AutoReset_AfterTheChildRanStably_BackoffStartsAgainAtMin()
    {
        var probe = CreateProbe();
        var supervisor = Supervisor(probe, o => o.WithAutoReset(TimeSpan.FromSeconds(10)));
        await probe.ExpectMsgAsync("started");
        await StopChild(supervisor);
        await ExpectRestartAfter(probe, TimeSpan.FromSeconds(1));
        await StopChild(supervisor);
        await ExpectRestartAfter(probe, TimeSpan.FromSeconds(2));

        Clock.Advance(TimeSpan.FromSeconds(10)); // stable for the reset period
        await Eventually.TrueAsync(() => supervisor.Ask<BackoffSupervisor.RestartCount>(BackoffSupervisor.GetRestartCount.Instance).GetAwaiter().GetResult().Count == 0, "the restart count to reset");
        await StopChild(supervisor);
        await ExpectRestartAfter(probe, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task MaxNrOfRetries_GivesUpAndStopsItself()
    {
        var probe = CreateProbe();
        var watcher = CreateProbe();
        var supervisor = Supervisor(probe, o => o.WithMaxNrOfRetries(2));
        watcher.Watch(supervisor);
        await probe.ExpectMsgAsync("started");
        await StopChild(supervisor);
        await ExpectRestartAfter(probe, TimeSpan.FromSeconds(1));
        await StopChild(supervisor);
        await ExpectRestartAfter(probe, TimeSpan.FromSeconds(2));
        supervisor.Tell("stop", null);
        await watcher.ExpectTerminatedAsync(supervisor);
    }

    [Fact]
    public async Task OnFailure_FailingChildIsRestartedAfterBackoff_StoppingChildStopsTheSupervisor()
    {
        var probe = CreateProbe();
        var watcher = CreateProbe();
        var supervisor = Supervisor(probe, mode: BackoffMode.OnFailure);
        watcher.Watch(supervisor);
        await probe.ExpectMsgAsync("started");

        await StopChild(supervisor, "throw");
        await ExpectRestartAfter(probe, TimeSpan.FromSeconds(1));

        supervisor.Tell("stop", null);
        await watcher.ExpectTerminatedAsync(supervisor);
    }

    [Fact]
    public async Task Messages_AreForwardedToTheChildWithTheirSender()
    {
        var probe = CreateProbe();
        var client = CreateProbe();
        var supervisor = Supervisor(probe);
        await probe.ExpectMsgAsync("started");
        client.Send(supervisor, "hello");
        await probe.ExpectMsgAsync("child:hello");
        Assert.Equal(client.Ref, probe.LastSender);
        var current = await supervisor.Ask<BackoffSupervisor.CurrentChild>(BackoffSupervisor.GetCurrentChild.Instance);
        Assert.Equal("child", current.Ref!.Path.Name);
    }

    [Fact]
    public void CalculateDelay_JitterStaysWithinTheRandomFactor()
    {
        var random = new Random(42);
        var delays = Enumerable.Range(0, 500).Select(_ => BackoffSupervisor.CalculateDelay(2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, random)).ToList();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4.8)));
        Assert.True(delays.Distinct().Count() > 100, "jitter must spread the delays");
        Assert.Equal(TimeSpan.FromSeconds(30), BackoffSupervisor.CalculateDelay(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0, random));
    }

    [Fact]
    public void Options_InvalidValues_AreRejectedWithTheFix()
    {
        var props = Props.Create(() => new Child(Sys.DeadLetters));
        Assert.Contains("minBackoff", Assert.Throws<ArgumentOutOfRangeException>(() => BackoffOptions.OnStop(props, "c", TimeSpan.Zero, TimeSpan.FromSeconds(1), 0)).Message, StringComparison.Ordinal);
        Assert.Contains("maxBackoff", Assert.Throws<ArgumentOutOfRangeException>(() => BackoffOptions.OnStop(props, "c", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 0)).Message, StringComparison.Ordinal);
        Assert.Contains("randomFactor", Assert.Throws<ArgumentOutOfRangeException>(() => BackoffOptions.OnStop(props, "c", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 2)).Message, StringComparison.Ordinal);
    }
}
