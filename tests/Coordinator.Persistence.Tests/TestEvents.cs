using System.Text.Json.Serialization;

namespace Coordinator.Persistence.Tests;

public sealed record CaseOpened(string CaseId, string Customer, decimal Amount);

public sealed record NoteAdded(string Text);

public sealed record CaseClosed(string Reason);

public sealed record CounterState(int Count, IReadOnlyList<string> Notes);

/// <summary>Not registered: persisting it must be rejected.</summary>
public sealed record Unregistered(string Value);

[JsonSerializable(typeof(CaseOpened))]
[JsonSerializable(typeof(NoteAdded))]
[JsonSerializable(typeof(CaseClosed))]
[JsonSerializable(typeof(CounterState))]
public sealed partial class TestEventsContext : JsonSerializerContext;

public static class TestRegistry
{
    public static EventTypeRegistry Create() => new EventTypeRegistry()
        .Register("V2.CaseOpened", TestEventsContext.Default.CaseOpened)
        .Register("V1.NoteAdded", TestEventsContext.Default.NoteAdded)
        .Register("V1.CaseClosed", TestEventsContext.Default.CaseClosed)
        .Register("V1.CounterState", TestEventsContext.Default.CounterState)

        // V1.CaseOpened had no amount and called the customer "client".
        .AddUpcaster("V1.CaseOpened", "V2.CaseOpened", node =>
        {
            var obj = node.AsObject();
            obj["Customer"] = obj["Client"]?.DeepClone();
            obj.Remove("Client");
            obj["Amount"] = 0m;
            return obj;
        });
}
