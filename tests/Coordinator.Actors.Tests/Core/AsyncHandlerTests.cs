using Coordinator.Actors.Events;

namespace Coordinator.Actors.Tests.Core;

public sealed class AsyncHandlerTests : ActorTest
{
    private sealed record Work(string Id, Task Gate);

    /// <summary>Awaits the gate of each Work; records entries and exits, and checks the sender survives the await.</summary>
    private sealed class AsyncWorker : ReceiveActor
    {
        private int _inside;

        public AsyncWorker(IActorRef probe)
        {
            ReceiveAsync<Work>(async work =>
            {
                var senderBefore = Sender;
                if (Interlocked.Increment(ref _inside) != 1)
                {
                    probe.Tell("CONCURRENT", null);
                }

                probe.Tell($"begin:{work.Id}", null);
                await work.Gate;
                await Task.Yield();
                probe.Tell(ReferenceEquals(senderBefore, Sender) && ActorCell_IsCurrent() ? $"end:{work.Id}" : $"WRONG-CONTEXT:{work.Id}", null);
                Interlocked.Decrement(ref _inside);
                Sender.Tell($"done:{work.Id}");
            });
            Receive<string>(s => probe.Tell($"sync:{s}", null));
        }

        private bool ActorCell_IsCurrent() => Coordinator.Actors.Core.ActorCell.Current?.Self.Equals(Self) == true;
    }

    [Fact]
    public async Task ReceiveAsync_ProcessesNothingElseUntilTheTaskCompletes()
    {
        var probe = CreateProbe();
        var worker = Sys.ActorOf(Props.Create(() => new AsyncWorker(probe.Ref)));
        var gate = new TaskCompletionSource();
        worker.Tell(new Work("a", gate.Task), null);
        worker.Tell("after", null);

        await probe.ExpectMsgAsync("begin:a");
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(150));
        gate.SetResult();
        await probe.ExpectMsgAsync("end:a");
        await probe.ExpectMsgAsync("sync:after");
    }

    [Fact]
    public async Task ReceiveAsync_SenderIsPreservedAndContinuationsRunOnTheActor()
    {
        var probe = CreateProbe();
        var client = CreateProbe();
        var worker = Sys.ActorOf(Props.Create(() => new AsyncWorker(probe.Ref)));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Send(worker, new Work("b", gate.Task));
        await probe.ExpectMsgAsync("begin:b");
        _ = Task.Run(() => gate.SetResult()); // completes on another thread
        await probe.ExpectMsgAsync("end:b");
        await client.ExpectMsgAsync("done:b");
    }

    [Fact]
    public async Task ReceiveAsync_ManyInterleavedMessages_NeverOverlap()
    {
        var probe = CreateProbe();
        var worker = Sys.ActorOf(Props.Create(() => new AsyncWorker(probe.Ref)));
        for (var i = 0; i < 200; i++)
        {
            worker.Tell(new Work(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Task.Delay(i % 3)), null);
        }

        var messages = await probe.ReceiveNAsync(400, TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("CONCURRENT", messages);
        Assert.DoesNotContain(messages, m => ((string)m).StartsWith("WRONG", StringComparison.Ordinal));
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"begin:{i}", messages[2 * i]);
            Assert.Equal($"end:{i}", messages[(2 * i) + 1]);
        }
    }

    private sealed class FailingAsync : ReceiveActor
    {
        public FailingAsync(IActorRef probe)
        {
            probe.Tell("created", null);
            ReceiveAsync<string>(async s =>
            {
                await Task.Yield();
                throw new InvalidOperationException($"async failure {s}");
            });
        }
    }

    [Fact]
    public async Task ReceiveAsync_FaultedTask_GoesThroughSupervision()
    {
        var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<ActorFailed>(f => failed.TrySetResult(f));
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new FailingAsync(probe.Ref)));
        await probe.ExpectMsgAsync("created");
        actor.Tell("x", null);
        var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("async failure x", failure.Cause.Message);
        await probe.ExpectMsgAsync("created"); // restarted by the default strategy
    }

    private sealed class RunTaskActor(IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Task gate:
                    Context.RunTask(async () =>
                    {
                        await gate;
                        probe.Tell("run-task-done", null);
                    });
                    break;
                default:
                    probe.Tell(message, null);
                    break;
            }
        }

        protected override void PostStop() => probe.Tell("post-stop", null);
    }

    [Fact]
    public async Task RunTask_HoldsTheUntypedActorUntilDone()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new RunTaskActor(probe.Ref)));
        var gate = new TaskCompletionSource();
        actor.Tell(gate.Task, null);
        actor.Tell("next", null);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        gate.SetResult();
        await probe.ExpectMsgAsync("run-task-done");
        await probe.ExpectMsgAsync("next");
    }

    [Fact]
    public async Task Stop_WhileAwaiting_WaitsForTheHandlerThenStops()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new RunTaskActor(probe.Ref)));
        var gate = new TaskCompletionSource();
        actor.Tell(gate.Task, null);
        await Task.Delay(20);
        Sys.Stop(actor);
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        gate.SetResult();
        await probe.ExpectMsgAsync("run-task-done");
        await probe.ExpectMsgAsync("post-stop");
    }
}
