using Coordinator.Actors.Shutdown;

namespace Coordinator.Actors.Tests.Shutdown;

public sealed class CoordinatedShutdownTests : ActorTest
{
    /// <summary>Records into a plain list: during shutdown every actor, probes included, is stopping.</summary>
    private sealed class AsyncHolder : ReceiveActor
    {
        private readonly List<string> _log;

        public AsyncHolder(Task gate, List<string> log)
        {
            _log = log;
            ReceiveAsync<string>(async s =>
            {
                Record($"handling:{s}");
                await gate;
                Record($"handled:{s}");
            });
        }

        protected override void PostStop() => Record("post-stop");

        private void Record(string entry)
        {
            lock (_log)
            {
                _log.Add(entry);
            }
        }
    }

    private sealed class Stopping(IActorRef probe, string name) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }

        protected override void PostStop() => probe.Tell($"stopped:{name}", null);
    }

    [Fact]
    public async Task Run_ExecutesPhasesInOrder_ThenTerminatesTheSystem()
    {
        var order = new List<string>();
        var shutdown = Sys.CoordinatedShutdown;
        foreach (var phase in new[] { CoordinatedShutdown.Phases.ServiceStop, CoordinatedShutdown.Phases.ServiceUnbind, CoordinatedShutdown.Phases.ClusterShardingShutdownRegion, CoordinatedShutdown.Phases.BeforeActorSystemTerminate })
        {
            shutdown.AddTask(phase, $"record-{phase}", _ =>
            {
                lock (order)
                {
                    order.Add(phase);
                }

                return Task.CompletedTask;
            });
        }

        var result = await shutdown.Run(ShutdownReason.OperatorLeave).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(
            [CoordinatedShutdown.Phases.ServiceUnbind, CoordinatedShutdown.Phases.ServiceStop, CoordinatedShutdown.Phases.ClusterShardingShutdownRegion, CoordinatedShutdown.Phases.BeforeActorSystemTerminate],
            order);
        Assert.True(Sys.WhenTerminated.IsCompleted);
        Assert.Empty(result.TimedOutPhases);
        Assert.Equal(ShutdownReason.OperatorLeave, shutdown.Reason);
        Assert.Same(shutdown.Run(ShutdownReason.HostStopping), shutdown.Completion);
    }

    [Fact]
    public async Task Run_WaitsForAsyncHandlersInFlight()
    {
        var log = new List<string>();
        string[] Log()
        {
            lock (log)
            {
                return [.. log];
            }
        }

        var gate = new TaskCompletionSource();
        var actor = Sys.ActorOf(Props.Create(() => new AsyncHolder(gate.Task, log)));
        actor.Tell("order-1", null);
        await Eventually.TrueAsync(() => Log().Length == 1, "the handler to start");

        var run = Sys.Terminate();
        await Task.Delay(200);
        Assert.False(run.IsCompleted, "shutdown must wait for the handler in flight");
        Assert.False(Sys.WhenTerminated.IsCompleted);
        Assert.Equal(["handling:order-1"], Log());

        gate.SetResult();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Sys.WhenTerminated.IsCompleted);
        Assert.Equal(["handling:order-1", "handled:order-1", "post-stop"], Log());
    }

    [Fact]
    public async Task Terminate_StopsUserActorsBeforeSystemActors()
    {
        var probe = CreateProbe();
        Sys.SystemActorOf(Props.Create(() => new Stopping(probe.Ref, "system-actor")));
        Sys.ActorOf(Props.Create(() => new Stopping(probe.Ref, "user-actor")));
        var recorder = new List<string>();
        using var _ = Sys.EventStream.Subscribe<Coordinator.Actors.Events.ActorStopped>(s =>
        {
            lock (recorder)
            {
                recorder.Add(s.Actor.Path.ToString());
            }
        });

        await Sys.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        lock (recorder)
        {
            var lastUser = recorder.FindLastIndex(p => p.StartsWith("/user/", StringComparison.Ordinal));
            var firstSystem = recorder.FindIndex(p => p.StartsWith("/system/", StringComparison.Ordinal));
            Assert.True(lastUser >= 0 && firstSystem > lastUser, $"user actors must stop before system actors: {string.Join(", ", recorder)}");
        }
    }

    [Fact]
    public async Task FailingTask_IsReported_AndShutdownGoesOn()
    {
        Sys.CoordinatedShutdown.AddTask(CoordinatedShutdown.Phases.ServiceStop, "broken", _ => throw new InvalidOperationException("cannot stop"));
        await Sys.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        var outcome = await Sys.CoordinatedShutdown.Completion!;
        Assert.Equal(["service-stop/broken"], outcome.FailedTasks);
        Assert.True(Sys.WhenTerminated.IsCompleted);
    }

    [Fact]
    public void AddTask_UnknownPhase_ThrowsListingThePhases()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sys.CoordinatedShutdown.AddTask("teardown", "x", _ => Task.CompletedTask));
        Assert.Contains(CoordinatedShutdown.Phases.ServiceUnbind, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTask_AfterThePhaseRan_Throws()
    {
        await Sys.Terminate();
        Assert.Throws<InvalidOperationException>(() => Sys.CoordinatedShutdown.AddTask(CoordinatedShutdown.Phases.ServiceStop, "late", _ => Task.CompletedTask));
    }
}

public sealed class BoundedShutdownTests() : ActorTest(configure: s => new ActorSystemSettings
{
    TimeProvider = s.TimeProvider,
    ShutdownPhaseTimeout = TimeSpan.FromMilliseconds(300),
})
{
    private sealed class Stuck : ReceiveActor
    {
        public Stuck(IActorRef probe) => ReceiveAsync<string>(async _ =>
        {
            probe.Tell("stuck", null);
            await Task.Delay(Timeout.Infinite);
        });
    }

    [Fact]
    public async Task Run_HandlerThatNeverCompletes_IsBoundedByThePhaseTimeout()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Stuck(probe.Ref)));
        actor.Tell("forever", null);
        await probe.ExpectMsgAsync("stuck");

        var slowTask = new TaskCompletionSource();
        Sys.CoordinatedShutdown.AddTask(CoordinatedShutdown.Phases.ServiceRequestsDone, "slow", token => slowTask.Task.WaitAsync(token));
        var result = await Sys.CoordinatedShutdown.Run(ShutdownReason.HostStopping).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([CoordinatedShutdown.Phases.ServiceRequestsDone, CoordinatedShutdown.Phases.ActorSystemTerminate], result.TimedOutPhases);
        Assert.True(Sys.WhenTerminated.IsCompleted, "the system is declared terminated when its last phase times out");
        Assert.InRange(result.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
    }

    public override async Task DisposeAsync() => await Sys.Terminate();
}
