using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Serialization;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

public sealed record NotMarked(string Value);

/// <summary>Coordinator's serializer as Akka uses it: bound by marker, stable manifests, loud failures.</summary>
public sealed class SerializationTests(ITestOutputHelper output) : PluginTestKit<OurSqliteBinding>(output)
{
    [Fact]
    public void Marker_BindsOurSerializer_WithTheStableManifest()
    {
        var serializer = Sys.Serialization.FindSerializerForType(typeof(CounterIncremented));
        var ours = Assert.IsType<CoordinatorSerializer>(serializer);
        var evt = new CounterIncremented("c", 3);
        Assert.Equal("V1.CounterIncremented", ours.Manifest(evt));
        Assert.Equal(evt, ours.FromBinary(ours.ToBinary(evt), "V1.CounterIncremented"));
        Assert.Equal("""{"Id":"c","By":3}""", System.Text.Encoding.UTF8.GetString(ours.ToBinary(evt)));
    }

    [Fact]
    public void MarkedButUnregistered_FailsNamingTheRegistration()
    {
        var ours = (CoordinatorSerializer)Sys.Serialization.FindSerializerForType(typeof(UnregisteredEvent));
        var error = Assert.Throws<EventSerializationException>(() => ours.ToBinary(new UnregisteredEvent("x")));
        Assert.Contains("EventTypeRegistry.Register<UnregisteredEvent>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OurTypeWithoutTheMarker_IsRejected_NotHandedToNewtonsoft()
    {
        var journal = global::Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        journal.Tell(new WriteMessages([new AtomicWrite(new Persistent(new NotMarked("x"), 1, "nm", string.Empty, false, ActorRefs.NoSender, "w"))], TestActor, 1));
        await ExpectMsgAsync<WriteMessagesSuccessful>();
        var rejected = await ExpectMsgAsync<WriteMessageRejected>();
        Assert.Contains("mark it ICoordinatorMessage", rejected.Cause.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownManifest_FailsThatEntitysRecovery_NamingTheRegistration()
    {
        var counter = Sys.ActorOf(CounterActor.Props("old-1"));
        await counter.Ask<CounterActor.Added>(new CounterActor.Add(1), TimeSpan.FromSeconds(10));
        await StopAsync(counter);

        // A node whose registry lacks the event's name: that entity cannot recover, and says why.
        var registry = new EventTypeRegistry()
            .Register("V1.CounterAdd", TestEventsContext.Default.Add)
            .Register("V1.CounterAdded", TestEventsContext.Default.Added)
            .Register("V1.CounterState", TestEventsContext.Default.State)
            .Register("V1.CounterGet", TestEventsContext.Default.Get);
        using var other = ActorSystem.Create("other", global::Akka.Actor.BootstrapSetup.Create()
            .WithConfig(global::Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.serialize-messages = off").WithFallback(Binding.Config))
            .And(CoordinatorSerialization.Setup(registry)));
        var errors = CreateTestProbe(other);
        other.EventStream.Subscribe(errors.Ref, typeof(Error));
        var again = other.ActorOf(CounterActor.Props("old-1"));
        var watcher = CreateTestProbe(other);
        watcher.Watch(again);
        await watcher.ExpectTerminatedAsync(again, TimeSpan.FromSeconds(10));
        var error = await errors.FishForMessageAsync<Error>(e => e.Cause is not null && Describe(e.Cause).Contains("V1.CounterIncremented", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.Contains("Register it", Describe(error.Cause!), StringComparison.Ordinal);
        await other.Terminate();
    }

    [Fact]
    public async Task RetiredName_IsReadThroughItsUpcaster()
    {
        var registry = TestRegistry.CreateWith(r => r.AddUpcaster("V0.CounterIncremented", "V1.CounterIncremented", static node => new JsonObject
        {
            ["Id"] = node["id"]!.GetValue<string>(),
            ["By"] = node["amount"]!.GetValue<int>(),
        }));
        var serializer = new CoordinatorSerializer((ExtendedActorSystem)Sys, registry);
        var upcast = serializer.FromBinary("""{"id":"c","amount":4}"""u8.ToArray(), "V0.CounterIncremented");
        Assert.Equal(new CounterIncremented("c", 4), upcast);
        await Task.CompletedTask;
    }

    private static string Describe(Exception exception)
    {
        var text = exception.Message;
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += " | " + inner.Message;
        }

        return text;
    }
}
