using System.Text;
using System.Text.Json;

namespace Coordinator.Persistence.Tests.Serialization;

/// <summary>
/// Events exactly as they were once stored (Golden/events.json, never edited, only appended to)
/// must stay readable with today's types: renaming a class, changing a shape or dropping a
/// registration fails here first.
/// </summary>
public sealed class GoldenFileTests
{
    private static readonly object[] Expected =
    [
        new CaseOpened("case-0001", "ACME Ltd", 0m),
        new CaseOpened("case-0002", "Globex", 1250.50m),
        new NoteAdded("Customer called about invoice #7 — résolu ✓"),
        new CaseClosed("paid"),
    ];

    [Fact]
    public void StoredEvents_AreStillReadable()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "events.json")));
        var registry = TestRegistry.Create();
        var read = golden.RootElement.EnumerateArray()
            .Select(e => registry.Deserialize(e.GetProperty("type").GetString()!, Encoding.UTF8.GetBytes(e.GetProperty("payload").GetRawText())))
            .ToList();

        Assert.Equal(Expected, read.Take(4));
        var state = Assert.IsType<CounterState>(read[4]);
        Assert.Equal(3, state.Count);
        Assert.Equal(["a", "b", "c"], state.Notes);
    }
}
