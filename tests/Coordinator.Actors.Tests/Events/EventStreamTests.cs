using Coordinator.Actors.Events;

namespace Coordinator.Actors.Tests.Events;

public sealed class EventStreamTests : ActorTest
{
    private abstract record Animal(string Name);

    private sealed record Cat(string Name) : Animal(Name);

    private sealed record Dog(string Name) : Animal(Name);

    [Fact]
    public async Task Subscribe_ToABaseType_ReceivesDerivedEvents()
    {
        var probe = CreateProbe();
        Assert.True(Sys.EventStream.Subscribe(probe.Ref, typeof(Animal)));
        Assert.False(Sys.EventStream.Subscribe(probe.Ref, typeof(Animal)), "a second identical subscription is refused");
        Sys.EventStream.Publish(new Cat("Tom"));
        Sys.EventStream.Publish("not an animal");
        Sys.EventStream.Publish(new Dog("Rex"));
        Assert.Equal(new Cat("Tom"), await probe.ExpectMsgAsync<Cat>());
        Assert.Equal(new Dog("Rex"), await probe.ExpectMsgAsync<Dog>());
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Unsubscribe_StopsDelivery()
    {
        var probe = CreateProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(Cat));
        Assert.True(Sys.EventStream.Unsubscribe(probe.Ref, typeof(Cat)));
        Sys.EventStream.Publish(new Cat("Tom"));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void DelegateSubscription_DisposeUnsubscribes_AndAThrowingSubscriberDoesNotBreakOthers()
    {
        var seen = new List<string>();
        using (Sys.EventStream.Subscribe<Cat>(_ => throw new InvalidOperationException("bad subscriber")))
        using (Sys.EventStream.Subscribe<Cat>(c => seen.Add(c.Name)))
        {
            Sys.EventStream.Publish(new Cat("one"));
        }

        Sys.EventStream.Publish(new Cat("two"));
        Assert.Equal(["one"], seen);
    }

    [Fact]
    public async Task StoppedActorSubscriber_IsUnsubscribed()
    {
        var probe = CreateProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(Cat));
        Assert.True(Sys.EventStream.IsSubscribed(typeof(Cat)));
        await probe.Ref.GracefulStop(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => !Sys.EventStream.IsSubscribed(typeof(Cat)), "the stopped subscriber to be removed");
    }

    [Fact]
    public async Task LifecycleEvents_ArePublished()
    {
        var events = new List<ActorLifecycleEvent>();
        using var _ = Sys.EventStream.Subscribe<ActorLifecycleEvent>(e =>
        {
            lock (events)
            {
                if (e.Actor.Path.Name == "lifecycle")
                {
                    events.Add(e);
                }
            }
        });
        var actor = Sys.ActorOf(Props.Create(() => new TestActors.Fragile(null)), "lifecycle");
        actor.Tell(new InvalidOperationException("restart"), null);
        await actor.Ask<int>("get");
        await actor.GracefulStop(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => { lock (events) { return events.Count == 3; } }, "started, restarted and stopped");
        lock (events)
        {
            Assert.IsType<ActorStarted>(events[0]);
            Assert.Equal("restart", Assert.IsType<ActorRestarted>(events[1]).Cause.Message);
            Assert.IsType<ActorStopped>(events[2]);
            Assert.All(events, e => Assert.Equal(typeof(TestActors.Fragile), e.ActorType));
        }
    }

    [Fact]
    public async Task DeadLetters_RefPublishesWhatItReceives()
    {
        var probe = CreateProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(DeadLetter));
        Sys.DeadLetters.Tell("lost", probe.Ref);
        var letter = await probe.ExpectMsgAsync<DeadLetter>();
        Assert.Equal("lost", letter.Message);
        Assert.Equal(Sys.DeadLetters, letter.Recipient);
    }
}
