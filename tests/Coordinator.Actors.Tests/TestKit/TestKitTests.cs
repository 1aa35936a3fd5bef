namespace Coordinator.Actors.Tests.TestKit;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Advance_FiresTimersInDueOrder_PeriodicOnesRepeatedly()
    {
        var time = new ManualTimeProvider();
        var fired = new List<string>();
        using var late = time.CreateTimer(_ => fired.Add("late"), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => fired.Add("early"), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var periodic = time.CreateTimer(_ => fired.Add($"tick@{time.GetUtcNow():ss}"), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(["early", "tick@02", "tick@04", "late", "tick@06"], fired);
        Assert.Equal(TimeSpan.FromSeconds(6), time.GetElapsedTime(0));
    }

    [Fact]
    public void DisposedOrChangedTimers_AreHonoured()
    {
        var time = new ManualTimeProvider();
        var fired = 0;
        var timer = time.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Change(TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, fired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, fired);
        timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, fired);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public void Advance_Backwards_IsRejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ManualTimeProvider().Advance(TimeSpan.FromSeconds(-1)));
}

public sealed class TestProbeTests : ActorTest
{
    [Fact]
    public async Task ExpectMsg_NothingArrives_FailsNamingTheExpectation()
    {
        var probe = CreateProbe("quiet");
        var ex = await Assert.ThrowsAsync<TestKitException>(() => probe.ExpectMsgAsync<int>(timeout: TimeSpan.FromMilliseconds(50)));
        Assert.Contains("/user/quiet", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Int32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectMsg_WrongMessage_FailsSayingWhatArrived()
    {
        var probe = CreateProbe();
        probe.Ref.Tell("surprise", null);
        var ex = await Assert.ThrowsAsync<TestKitException>(() => probe.ExpectMsgAsync<int>());
        Assert.Contains("surprise", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectNoMsg_MessageArrives_Fails()
    {
        var probe = CreateProbe();
        probe.Ref.Tell("unexpected", null);
        var ex = await Assert.ThrowsAsync<TestKitException>(() => probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Contains("unexpected", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reply_AnswersTheLastSender()
    {
        var probe = CreateProbe();
        var ask = probe.Ref.Ask<string>("question?");
        await probe.ExpectMsgAsync("question?");
        probe.Reply("answer");
        Assert.Equal("answer", await ask);
    }

    [Fact]
    public async Task Eventually_ConditionNeverHolds_FailsWithTheExpectation()
    {
        var ex = await Assert.ThrowsAsync<TestKitException>(() => Eventually.TrueAsync(() => false, "the impossible", TimeSpan.FromMilliseconds(30)));
        Assert.Contains("the impossible", ex.Message, StringComparison.Ordinal);
    }
}
