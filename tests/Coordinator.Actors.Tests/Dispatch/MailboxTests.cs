using Coordinator.Actors.Dispatch;
using Coordinator.Actors.Events;

namespace Coordinator.Actors.Tests.Dispatch;

public sealed class MailboxTests : ActorTest
{
    private (IActorRef Gate, TestProbe Probe) BlockedGate(ManualResetEventSlim release, Props? template = null)
    {
        var probe = CreateProbe();
        var props = Props.Create(() => new TestActors.Gate(release, probe.Ref));
        if (template is not null)
        {
            props = props.WithMailbox(template.Mailbox).WithThroughput(template.Throughput ?? 30);
        }

        var gate = Sys.ActorOf(props);
        gate.Tell("block", null);
        return (gate, probe);
    }

    [Fact]
    public async Task Bounded_TellWhenFull_SendsToDeadLettersWithReason()
    {
        var dead = new List<DeadLetter>();
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => { lock (dead) { dead.Add(d); } });
        using var release = new ManualResetEventSlim();
        var (gate, probe) = BlockedGate(release, Props.Create<TestActors.Echo>().WithMailbox(MailboxOptions.Bounded(3)));
        await probe.ExpectMsgAsync("blocked");

        for (var i = 0; i < 5; i++)
        {
            gate.Tell(i, null);
        }

        lock (dead)
        {
            Assert.Equal([3, 4], dead.Select(d => (int)d.Message));
            Assert.All(dead, d => Assert.Equal("mailbox full", d.Reason));
        }

        release.Set();
        Assert.Equal([0, 1, 2], (await probe.ReceiveNAsync(3)).Cast<int>());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Bounded_TellAsync_WaitsForRoomAndLosesNothing()
    {
        using var release = new ManualResetEventSlim();
        var (gate, probe) = BlockedGate(release, Props.Create<TestActors.Echo>().WithMailbox(MailboxOptions.Bounded(2)));
        await probe.ExpectMsgAsync("blocked");

        await gate.TellAsync(0);
        await gate.TellAsync(1);
        var third = gate.TellAsync(2).AsTask();
        await Task.Delay(50);
        Assert.False(third.IsCompleted, "a producer must wait while the bounded mailbox is full");

        var producer = Task.Run(async () =>
        {
            await third;
            for (var i = 3; i < 200; i++)
            {
                await gate.TellAsync(i);
            }
        });
        release.Set();
        await producer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, 200), (await probe.ReceiveNAsync(200)).Cast<int>());
    }

    [Fact]
    public async Task Bounded_TellAsync_CancelledWhileFull_DoesNotSend()
    {
        using var release = new ManualResetEventSlim();
        var (gate, probe) = BlockedGate(release, Props.Create<TestActors.Echo>().WithMailbox(MailboxOptions.Bounded(1)));
        await probe.ExpectMsgAsync("blocked");
        await gate.TellAsync("fits");

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.TellAsync("does not fit", cancellationToken: cts.Token).AsTask());
        release.Set();
        await probe.ExpectMsgAsync("fits");
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Bounded_CapacityBelowOne_ThrowsExplaining()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MailboxOptions.Bounded(0));
        Assert.Contains("Unbounded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemMessages_OvertakeQueuedUserMessages()
    {
        var dead = new List<DeadLetter>();
        using var _ = Sys.EventStream.Subscribe<DeadLetter>(d => { lock (dead) { dead.Add(d); } });
        using var release = new ManualResetEventSlim();
        var (gate, probe) = BlockedGate(release);
        await probe.ExpectMsgAsync("blocked");
        for (var i = 0; i < 100; i++)
        {
            gate.Tell(i, null);
        }

        Sys.Stop(gate); // a system message, sent after 100 user messages
        release.Set();

        await probe.ExpectMsgAsync("post-stop");
        await Eventually.TrueAsync(() => { lock (dead) { return dead.Count == 100; } }, "the 100 queued messages to become dead letters");
        lock (dead)
        {
            Assert.Equal(Enumerable.Range(0, 100), dead.Select(d => (int)d.Message).Order());
        }
    }

    private sealed class CountingGate(ManualResetEventSlim release, IActorRef probe, int expected) : UntypedActor
    {
        private int _count;

        protected override void OnReceive(object message)
        {
            if (message is "block")
            {
                probe.Tell("blocked", null);
                release.Wait(TimeSpan.FromSeconds(10));
            }
            else if (++_count == expected)
            {
                probe.Tell("done", null);
            }
        }
    }

    [Fact]
    public async Task Throughput_LimitsMessagesPerTurn()
    {
        using var metrics = new MetricsCapture("Coordinator.Actors", Sys.Name);
        using var release = new ManualResetEventSlim();
        var probe = CreateProbe();
        var gate = Sys.ActorOf(Props.Create(() => new CountingGate(release, probe.Ref, 100)).WithThroughput(10));
        gate.Tell("block", null);
        await probe.ExpectMsgAsync("blocked");
        for (var i = 0; i < 100; i++)
        {
            gate.Tell(i, null);
        }

        var before = metrics.Values("coordinator.actors.mailbox.depth").Count;
        release.Set();
        await probe.ExpectMsgAsync("done");

        // The blocked turn processed "block" and 9 more; every later turn starts 10 messages
        // lower. Other actors here only ever see a depth of 1.
        var depths = metrics.Values("coordinator.actors.mailbox.depth").Skip(before).Where(d => d > 1).ToList();
        Assert.Equal([91, 81, 71, 61, 51, 41, 31, 21, 11], depths);
    }
}
