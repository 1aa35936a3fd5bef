namespace Coordinator.Actors.Tests.Diagnostics;

public sealed class MetricsTests : ActorTest
{
    [Fact]
    public async Task MessagesProcessed_CountsEveryUserMessage()
    {
        using var metrics = new MetricsCapture("Coordinator.Actors", Sys.Name);
        var before = metrics.Last("coordinator.actors.messages.processed");
        var echo = Sys.ActorOf(Props.Create<TestActors.Echo>());
        for (var i = 0; i < 100; i++)
        {
            await echo.Ask<int>(i);
        }

        await Eventually.TrueAsync(() => metrics.Last("coordinator.actors.messages.processed") - before >= 100, "100 processed messages to be counted");
    }

    [Fact]
    public async Task DeadLetters_AreCounted()
    {
        using var metrics = new MetricsCapture("Coordinator.Actors", Sys.Name);
        var echo = Sys.ActorOf(Props.Create<TestActors.Echo>());
        await echo.GracefulStop(TimeSpan.FromSeconds(5));
        echo.Tell("a", null);
        echo.Tell("b", null);
        Assert.Equal(2, metrics.Sum("coordinator.actors.dead_letters"));
    }

    [Fact]
    public async Task AliveActors_TracksCreationAndStop()
    {
        using var metrics = new MetricsCapture("Coordinator.Actors", Sys.Name);
        var baseline = metrics.Last("coordinator.actors.alive");
        var actors = Enumerable.Range(0, 10).Select(_ => Sys.ActorOf(Props.Create<TestActors.Echo>())).ToList();
        Assert.Equal(baseline + 10, metrics.Last("coordinator.actors.alive"));
        foreach (var actor in actors)
        {
            await actor.GracefulStop(TimeSpan.FromSeconds(5));
        }

        await Eventually.TrueAsync(() => metrics.Last("coordinator.actors.alive") == baseline, "the alive count to return to its baseline");
        Assert.Equal(Sys.AliveActors, metrics.Last("coordinator.actors.alive"));
    }

    [Fact]
    public async Task MailboxDepth_IsRecordedPerTurn()
    {
        using var metrics = new MetricsCapture("Coordinator.Actors", Sys.Name);
        var echo = Sys.ActorOf(Props.Create<TestActors.Echo>());
        await echo.Ask<int>(1);
        Assert.NotEmpty(metrics.Values("coordinator.actors.mailbox.depth"));
    }
}
