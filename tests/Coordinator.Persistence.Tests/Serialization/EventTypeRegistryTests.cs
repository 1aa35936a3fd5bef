using System.Text;

namespace Coordinator.Persistence.Tests.Serialization;

public sealed class EventTypeRegistryTests
{
    [Fact]
    public void Serialize_UsesTheStableNameNotTheClrName()
    {
        var registry = TestRegistry.Create();
        var serialized = registry.Serialize(new NoteAdded("hello"));
        Assert.Equal("V1.NoteAdded", serialized.TypeName);
        Assert.Equal("""{"Text":"hello"}""", Encoding.UTF8.GetString(serialized.Payload));
        Assert.Equal(new NoteAdded("hello"), registry.Deserialize(serialized.TypeName, serialized.Payload));
    }

    [Fact]
    public void Deserialize_UnknownName_NamesItAndTheFix()
    {
        var ex = Assert.Throws<EventSerializationException>(() => TestRegistry.Create().Deserialize("V7.Unheard", "{}"u8));
        Assert.Contains("'V7.Unheard'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Register", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_UnregisteredType_NamesTheTypeAndTheFix()
    {
        var ex = Assert.Throws<EventSerializationException>(() => TestRegistry.Create().Serialize(new Unregistered("x")));
        Assert.Contains(nameof(Unregistered), ex.Message, StringComparison.Ordinal);
        Assert.Contains("Register<Unregistered>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_MalformedPayload_SaysWhichTypeDidNotMatch()
    {
        var ex = Assert.Throws<EventSerializationException>(() => TestRegistry.Create().Deserialize("V1.NoteAdded", "{\"Text\": 42"u8));
        Assert.Contains("V1.NoteAdded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upcaster_TurnsAnOldVersionIntoTheCurrentOne()
    {
        var upcast = TestRegistry.Create().Deserialize("V1.CaseOpened", """{"CaseId":"c-1","Client":"ACME"}"""u8);
        Assert.Equal(new CaseOpened("c-1", "ACME", 0m), upcast);
    }

    [Fact]
    public void Register_DuplicateNameOrType_IsRejected()
    {
        var registry = new EventTypeRegistry().Register("V1.NoteAdded", TestEventsContext.Default.NoteAdded);
        Assert.Throws<ArgumentException>(() => registry.Register("V1.NoteAdded", TestEventsContext.Default.CaseClosed));
        Assert.Throws<ArgumentException>(() => registry.Register("V2.NoteAdded", TestEventsContext.Default.NoteAdded));
        Assert.Throws<ArgumentException>(() => registry.Register("has space", TestEventsContext.Default.CaseClosed));
    }

    [Fact]
    public void Register_AfterFirstUse_IsRejected()
    {
        var registry = TestRegistry.Create();
        registry.Serialize(new NoteAdded("x"));
        Assert.Throws<InvalidOperationException>(() => registry.Register("V1.Late", TestEventsContext.Default.CaseClosed));
    }

    [Fact]
    public void UpcasterCycle_IsReportedInsteadOfLooping()
    {
        var registry = new EventTypeRegistry()
            .AddUpcaster("V1.A", "V2.A", n => n)
            .AddUpcaster("V2.A", "V1.A", n => n);
        var ex = Assert.Throws<EventSerializationException>(() => registry.Deserialize("V1.A", "{}"u8));
        Assert.Contains("cycle", ex.Message, StringComparison.Ordinal);
    }
}
