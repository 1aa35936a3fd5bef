using System.Text.Json.Serialization;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

public sealed record CounterIncremented(string Id, int By) : ICoordinatorMessage;

public sealed record CounterSnapshot(int Total, int Events) : ICoordinatorMessage;

/// <summary>Carries the marker but is never registered: the serializer must refuse it.</summary>
public sealed record UnregisteredEvent(string Value) : ICoordinatorMessage;

[JsonSerializable(typeof(CounterIncremented))]
[JsonSerializable(typeof(CounterSnapshot))]
[JsonSerializable(typeof(UnregisteredEvent))]
[JsonSerializable(typeof(CounterActor.Add))]
[JsonSerializable(typeof(CounterActor.Added))]
[JsonSerializable(typeof(CounterActor.State))]
[JsonSerializable(typeof(CounterActor.Get))]
internal sealed partial class TestEventsContext : JsonSerializerContext;

public static class TestRegistry
{
    public static EventTypeRegistry Create() => CreateWith(static _ => { });

    public static EventTypeRegistry CreateWith(Action<EventTypeRegistry> extra)
    {
        var registry = Base();
        extra(registry);
        return registry;
    }

    private static EventTypeRegistry Base() => new EventTypeRegistry()
        .Register("V1.CounterIncremented", TestEventsContext.Default.CounterIncremented)
        .Register("V1.CounterSnapshot", TestEventsContext.Default.CounterSnapshot)
        .Register("V1.CounterAdd", TestEventsContext.Default.Add)
        .Register("V1.CounterAdded", TestEventsContext.Default.Added)
        .Register("V1.CounterState", TestEventsContext.Default.State)
        .Register("V1.CounterGet", TestEventsContext.Default.Get);
}
