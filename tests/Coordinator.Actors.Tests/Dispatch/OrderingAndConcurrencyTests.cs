namespace Coordinator.Actors.Tests.Dispatch;

public sealed class OrderingAndConcurrencyTests : ActorTest
{
    private sealed record Numbered(int Sender, int Sequence);

    private sealed record Report(long Received, int OrderViolations, int ConcurrentEntries);

    /// <summary>Checks per-sender order and detects any second thread inside the actor.</summary>
    private sealed class OrderChecker(int senders) : UntypedActor
    {
        private readonly int[] _next = new int[senders];
        private long _received;
        private int _violations;
        private int _inside;
        private int _concurrent;

        protected override void OnReceive(object message)
        {
            if (Interlocked.Increment(ref _inside) != 1)
            {
                Interlocked.Increment(ref _concurrent);
            }

            try
            {
                switch (message)
                {
                    case Numbered n:
                        if (_next[n.Sender] != n.Sequence)
                        {
                            _violations++;
                        }

                        _next[n.Sender] = n.Sequence + 1;
                        _received++;
                        Thread.SpinWait(20); // widen the window in which a second thread would be caught
                        break;
                    case "report":
                        Sender.Tell(new Report(_received, _violations, Volatile.Read(ref _concurrent)));
                        break;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }
    }

    [Fact]
    public async Task PerSenderOrder_EightConcurrentSendersOfTenThousandEach_IsKept()
    {
        const int senders = 8;
        const int perSender = 10_000;
        var checker = Sys.ActorOf(Props.Create(() => new OrderChecker(senders)));
        using var start = new Barrier(senders);
        var threads = Enumerable.Range(0, senders).Select(s => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perSender; i++)
            {
                checker.Tell(new Numbered(s, i), null);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Report report = null!;
        await Eventually.TrueAsync(
            () => (report = checker.Ask<Report>("report").GetAwaiter().GetResult()).Received == senders * perSender,
            $"all {senders * perSender} messages to arrive",
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, report.OrderViolations);
        Assert.Equal(0, report.ConcurrentEntries);
    }

    [Fact]
    public async Task ManyActors_SharedSenders_NeverRunOneActorOnTwoThreads()
    {
        const int actors = 16;
        var checkers = Enumerable.Range(0, actors).Select(_ => Sys.ActorOf(Props.Create(() => new OrderChecker(4)).WithThroughput(3))).ToList();
        var senders = Enumerable.Range(0, 4).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                foreach (var checker in checkers)
                {
                    checker.Tell(new Numbered(s, i), null);
                }
            }
        })).ToArray();
        await Task.WhenAll(senders);

        foreach (var checker in checkers)
        {
            Report report = null!;
            await Eventually.TrueAsync(() => (report = checker.Ask<Report>("report").GetAwaiter().GetResult()).Received == 20_000, "every checker to get 20,000 messages", TimeSpan.FromSeconds(30));
            Assert.Equal(0, report.ConcurrentEntries);
            Assert.Equal(0, report.OrderViolations);
        }
    }

    [Fact]
    public async Task BlockedActor_DoesNotBlockOtherActors()
    {
        using var release = new ManualResetEventSlim();
        var probe = CreateProbe();
        var gate = Sys.ActorOf(Props.Create(() => new TestActors.Gate(release, probe.Ref)));
        gate.Tell("block", null);
        await probe.ExpectMsgAsync("blocked");

        var other = Sys.ActorOf(Props.Create<TestActors.Echo>());
        Assert.Equal("still served", await other.Ask<string>("still served", TimeSpan.FromSeconds(5)));
        release.Set();
    }
}
