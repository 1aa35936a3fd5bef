namespace Coordinator.Actors.Tests.Core;

public sealed class SmokeTests : ActorTest
{
    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    [Fact]
    public async Task Echo_RepliesToProbe()
    {
        var probe = CreateProbe();
        var echo = Sys.ActorOf(Props.Create<Echo>(), "echo");
        probe.Send(echo, "hello");
        await probe.ExpectMsgAsync("hello");
        Assert.Equal("/user/echo", echo.Path.ToString());
        Assert.Equal("hello", await echo.Ask<string>("hello"));
    }
}
