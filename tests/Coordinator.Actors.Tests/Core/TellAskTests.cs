using static Coordinator.Actors.Tests.TestActors;

namespace Coordinator.Actors.Tests.Core;

public sealed class TellAskTests() : ActorTest(manualTime: true)
{
    private sealed class Silent : UntypedActor
    {
        protected override void OnReceive(object message)
        {
        }
    }

    private sealed class ImplicitSender(IActorRef target) : UntypedActor
    {
        protected override void OnReceive(object message) => target.Tell(message);
    }

    private sealed class FailingReplier : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(new Status.Failure(new InvalidOperationException("no stock")));
    }

    [Fact]
    public async Task Tell_DeliversMessageAndSender()
    {
        var probe = CreateProbe();
        var echo = Sys.ActorOf(Props.Create<Echo>());
        echo.Tell("ping", probe.Ref);
        await probe.ExpectMsgAsync("ping");
        Assert.Equal(echo, probe.LastSender);
    }

    [Fact]
    public async Task Tell_InsideActor_UsesSelfAsImplicitSender()
    {
        var probe = CreateProbe();
        var actor = Sys.ActorOf(Props.Create(() => new ImplicitSender(probe.Ref)));
        actor.Tell("hi", null);
        await probe.ExpectMsgAsync("hi");
        Assert.Equal(actor, probe.LastSender);
    }

    [Fact]
    public async Task Forward_KeepsTheOriginalSender()
    {
        var probe = CreateProbe();
        var relay = Sys.ActorOf(Props.Create(() => new Relay(probe.Ref)));
        var original = CreateProbe();
        original.Send(relay, "via relay");
        await probe.ExpectMsgAsync("via relay");
        Assert.Equal(original.Ref, probe.LastSender);
    }

    [Fact]
    public void Forward_OutsideAnActor_ThrowsExplaining()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Sys.DeadLetters.Forward("x"));
        Assert.Contains("inside an actor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_ReturnsTheReply()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        Assert.Equal(7, await echo.Ask<int>(7, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Ask_NoReply_TimesOutWithExceptionNamingTargetAndMessageType()
    {
        var silent = Sys.ActorOf(Props.Create<Silent>(), "silent");
        var ask = silent.Ask<string>(new Uri("https://example.test"), TimeSpan.FromSeconds(3));

        Clock.Advance(TimeSpan.FromSeconds(2.9));
        await Task.Delay(20);
        Assert.False(ask.IsCompleted, "the ask must not time out before its timeout");

        Clock.Advance(TimeSpan.FromSeconds(0.2));
        var ex = await Assert.ThrowsAsync<AskTimeoutException>(() => ask);
        Assert.Contains("/user/silent", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Uri), ex.Message, StringComparison.Ordinal);
        Assert.Contains("3000 ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_Cancelled_ThrowsOperationCanceled()
    {
        var silent = Sys.ActorOf(Props.Create<Silent>());
        using var cts = new CancellationTokenSource();
        var ask = silent.Ask("question", TimeSpan.FromMinutes(1), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask);
    }

    [Fact]
    public async Task Ask_StatusFailureReply_FaultsWithItsCause()
    {
        var actor = Sys.ActorOf(Props.Create<FailingReplier>());
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => actor.Ask<string>("order"));
        Assert.Equal("no stock", ex.Message);
    }

    [Fact]
    public async Task Ask_ReplyOfWrongType_ThrowsInvalidCastNamingBothTypes()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        var ex = await Assert.ThrowsAsync<InvalidCastException>(() => echo.Ask<int>("text"));
        Assert.Contains("Int32", ex.Message, StringComparison.Ordinal);
        Assert.Contains("String", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_StoppedActor_TimesOutAndTheQuestionIsADeadLetter()
    {
        var deadLetters = new List<Coordinator.Actors.Events.DeadLetter>();
        using var _ = Sys.EventStream.Subscribe<Coordinator.Actors.Events.DeadLetter>(d => { lock (deadLetters) { deadLetters.Add(d); } });
        var probe = CreateProbe();
        var echo = Sys.ActorOf(Props.Create<Echo>());
        probe.Watch(echo);
        Sys.Stop(echo);
        await probe.ExpectTerminatedAsync(echo);

        var ask = echo.Ask("anyone?", TimeSpan.FromSeconds(1));
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<AskTimeoutException>(() => ask);
        lock (deadLetters)
        {
            Assert.Contains(deadLetters, d => Equals(d.Message, "anyone?") && d.Recipient.Equals(echo));
        }
    }
}
