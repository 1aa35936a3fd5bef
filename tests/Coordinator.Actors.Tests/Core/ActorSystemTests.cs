using Coordinator.Actors.Events;
using static Coordinator.Actors.Tests.TestActors;

namespace Coordinator.Actors.Tests.Core;

public sealed class ActorSystemTests : ActorTest
{
    [Fact]
    public async Task ActorOf_TopLevelAndChild_HaveHierarchicalPaths()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent()), "orders");
        var child = await parent.Ask<IActorRef>(new CreateChild(Props.Create<Echo>(), "order-42"));

        Assert.Equal("/user/orders", parent.Path.ToString());
        Assert.Equal("/user/orders/order-42", child.Path.ToString());
        Assert.Equal(["user", "orders", "order-42"], child.Path.Elements);
        Assert.Equal(Sys.Name, child.Path.SystemName);
        Assert.StartsWith($"coordinator://{Sys.Name}/user/orders/order-42#", child.Path.ToStringWithUid(), StringComparison.Ordinal);
    }

    [Fact]
    public void SystemActorOf_LivesUnderSystemGuardian()
    {
        var actor = Sys.SystemActorOf(Props.Create<Echo>(), "journal");
        Assert.Equal("/system/journal", actor.Path.ToString());
    }

    [Fact]
    public void ActorOf_GeneratedNames_AreUniqueAndReserved()
    {
        var a = Sys.ActorOf(Props.Create<Echo>());
        var b = Sys.ActorOf(Props.Create<Echo>());
        Assert.NotEqual(a.Path.Name, b.Path.Name);
        Assert.StartsWith("$", a.Path.Name, StringComparison.Ordinal);
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create<Echo>(), "$mine"));
    }

    [Fact]
    public void ActorOf_DuplicateName_ThrowsNamingParentAndName()
    {
        Sys.ActorOf(Props.Create<Echo>(), "dup");
        var ex = Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create<Echo>(), "dup"));
        Assert.Contains("[dup]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/user", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("a#1")]
    [InlineData("tab\there")]
    public void ActorOf_InvalidName_ThrowsWithTheRule(string name)
    {
        var ex = Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create<Echo>(), name));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public async Task ActorOf_NameOfStoppedChild_IsFreeAfterTerminated()
    {
        var probe = CreateProbe();
        var first = Sys.ActorOf(Props.Create<Echo>(), "reuse");
        probe.Watch(first);
        Sys.Stop(first);
        await probe.ExpectTerminatedAsync(first);
        await Eventually.TrueAsync(() => Sys.Resolve("/user/reuse") is null, "the name to be released");

        var second = Sys.ActorOf(Props.Create<Echo>(), "reuse");
        Assert.NotEqual(first, second);
        Assert.Equal(first.Path, second.Path);
        Assert.NotEqual(first.Path.Uid, second.Path.Uid);
    }

    [Fact]
    public async Task Resolve_FindsLivingActors_AndNothingAfterStop()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent()), "resolve");
        var child = await parent.Ask<IActorRef>(new CreateChild(Props.Create<Echo>(), "kid"));

        Assert.Equal(child, Sys.Resolve("/user/resolve/kid"));
        Assert.Null(Sys.Resolve("/user/resolve/nobody"));
        Assert.Contains(child, Sys.ChildrenOf("/user/resolve"));

        var probe = CreateProbe();
        probe.Watch(child);
        Sys.Stop(child);
        await probe.ExpectTerminatedAsync(child);
        await Eventually.TrueAsync(() => Sys.Resolve("/user/resolve/kid") is null, "the stopped child to disappear from its parent");
    }

    [Fact]
    public void Create_InvalidSettings_ThrowsNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => ActorSystem.Create("bad", new ActorSystemSettings { Throughput = 0 }));
        Assert.Contains("Throughput", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ActorSystem.Create("bad name"));
    }

    [Fact]
    public void ActorConstructedDirectly_ThrowsExplainingHowToCreateIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new Echo());
        Assert.Contains("ActorOf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identify_AnswersWithTheActorRef()
    {
        var probe = CreateProbe();
        var echo = Sys.ActorOf(Props.Create<Echo>());
        probe.Send(echo, new Identify("id-1"));
        var identity = await probe.ExpectMsgAsync<ActorIdentity>();
        Assert.Equal("id-1", identity.MessageId);
        Assert.Equal(echo, identity.Subject);
    }

    [Fact]
    public async Task Unhandled_PublishesUnhandledMessage()
    {
        var unhandled = new TaskCompletionSource<UnhandledMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = Sys.EventStream.Subscribe<UnhandledMessage>(m => unhandled.TrySetResult(m));
        var fragile = Sys.ActorOf(Props.Create(() => new Fragile(null)));
        fragile.Tell(42, null);
        var message = await unhandled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(42, message.Message);
        Assert.Equal(fragile, message.Recipient);
    }
}
