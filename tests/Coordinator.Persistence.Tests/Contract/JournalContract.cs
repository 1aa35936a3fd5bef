using System.Collections.Concurrent;
using System.Text;

namespace Coordinator.Persistence.Tests.Contract;

/// <summary>
/// What every journal and snapshot store must do, written once and bound to each store in one
/// line (as Akka.Persistence's TCK does).
/// </summary>
public abstract class JournalContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IStoreFixture
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    protected TFixture Fixture { get; } = fixture;

    private async Task<(IJournalStore Journal, ISnapshotStore Snapshots)> Stores()
    {
        var (journal, snapshots) = await Fixture.CreateAsync();
        await journal.InitializeAsync();
        await snapshots.InitializeAsync();
        return (journal, snapshots);
    }

    internal static EventToWrite Event(string pid, long seq, string text = "note", string[]? tags = null, Actor? causedBy = null)
        => new(pid, seq, new SerializedEvent("V1.NoteAdded", Encoding.UTF8.GetBytes($$"""{"Text":{{System.Text.Json.JsonSerializer.Serialize(text)}}}""")), tags ?? [], new EventMetadata(Now, "node-a", "corr-1", $"cause-{seq}", causedBy ?? Actor.System));

    private static string TextOf(StoredEvent e) => System.Text.Json.JsonDocument.Parse(e.Event.Payload).RootElement.GetProperty("Text").GetString()!;

    private static async Task<List<StoredEvent>> ReadAll(IJournalStore journal, string pid)
    {
        var events = new List<StoredEvent>();
        await foreach (var e in journal.ReadEventsAsync(pid, 1, long.MaxValue))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task Initialize_IsIdempotent()
    {
        var (journal, snapshots) = await Stores();
        await journal.InitializeAsync();
        await snapshots.InitializeAsync();
        await journal.WriteAsync([Event("p", 1)]);
        await journal.InitializeAsync();
        Assert.Single(await ReadAll(journal, "p"));
    }

    [Fact]
    public async Task Write_ThenRead_ReturnsEventsInOrderWithMetadata()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([Event("case-1", 1, "a"), Event("case-1", 2, "b", causedBy: Actor.Operator("alice"))]);
        await journal.WriteAsync([Event("case-1", 3, "c"), Event("case-2", 1, "other")]);

        var events = await ReadAll(journal, "case-1");
        Assert.Equal([1L, 2, 3], events.Select(e => e.SequenceNr));
        Assert.Equal(["a", "b", "c"], events.Select(TextOf));
        Assert.All(events, e => Assert.Equal("V1.NoteAdded", e.Event.TypeName));
        var second = events[1];
        Assert.Equal("node-a", second.Metadata.WriterId);
        Assert.Equal("corr-1", second.Metadata.CorrelationId);
        Assert.Equal("cause-2", second.Metadata.CausationId);
        Assert.Equal(Actor.Operator("alice"), second.Metadata.CausedBy);
        Assert.Equal(Now, second.Metadata.Timestamp);
        Assert.True(events[0].Ordering < events[1].Ordering && events[1].Ordering < events[2].Ordering);
    }

    [Fact]
    public async Task ReadEvents_Range_IsInclusive()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([.. Enumerable.Range(1, 10).Select(i => Event("p", i))]);
        var events = new List<long>();
        await foreach (var e in journal.ReadEventsAsync("p", 3, 6))
        {
            events.Add(e.SequenceNr);
        }

        Assert.Equal([3L, 4, 5, 6], events);
        Assert.Empty(await ReadAll(journal, "nobody"));
    }

    [Fact]
    public async Task SecondWriterOfASequenceNr_FailsWithConflict_AndNeverForksHistory()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([Event("case-1", 1, "first writer")]);
        var ex = await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync([Event("case-1", 1, "zombie")]));
        Assert.Equal("case-1", ex.PersistenceId);
        Assert.Equal(1, ex.SequenceNr);
        Assert.Equal(["first writer"], (await ReadAll(journal, "case-1")).Select(TextOf));
    }

    [Fact]
    public async Task Batch_IsAllOrNothing_WhenOneEventConflicts()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([Event("b", 2)]);
        await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync([Event("a", 1), Event("a", 2), Event("b", 2), Event("c", 1)]));
        Assert.Empty(await ReadAll(journal, "a"));
        Assert.Empty(await ReadAll(journal, "c"));
        Assert.Single(await ReadAll(journal, "b"));
        Assert.Single(await journal.ReadAllAsync(0, 100));
    }

    [Fact]
    public async Task Batch_DuplicateWithinItself_Conflicts()
    {
        var (journal, _) = await Stores();
        await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync([Event("a", 1), Event("a", 1)]));
        Assert.Empty(await journal.ReadAllAsync(0, 10));
    }

    [Fact]
    public async Task HighestSequenceNr_SurvivesDeletion()
    {
        var (journal, _) = await Stores();
        Assert.Equal(0, await journal.ReadHighestSequenceNrAsync("p"));
        await journal.WriteAsync([.. Enumerable.Range(1, 5).Select(i => Event("p", i))]);
        Assert.Equal(5, await journal.ReadHighestSequenceNrAsync("p"));

        await journal.DeleteEventsToAsync("p", 5);
        Assert.Empty(await ReadAll(journal, "p"));
        Assert.Equal(5, await journal.ReadHighestSequenceNrAsync("p"));
    }

    [Fact]
    public async Task DeleteEventsTo_HidesOnlyEventsUpToTheBound()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([.. Enumerable.Range(1, 5).Select(i => Event("p", i)), Event("q", 1)]);
        await journal.DeleteEventsToAsync("p", 3);
        Assert.Equal([4L, 5], (await ReadAll(journal, "p")).Select(e => e.SequenceNr));
        Assert.Equal(3, (await journal.ReadAllAsync(0, 100)).Count);
        Assert.Single(await ReadAll(journal, "q"));
    }

    [Fact]
    public async Task ReadAll_PagesByOrdering_FromAnOffset()
    {
        var (journal, _) = await Stores();
        for (var i = 1; i <= 25; i++)
        {
            await journal.WriteAsync([Event($"p{i % 3}", ((i - 1) / 3) + 1, $"e{i}")]);
        }

        var seen = new List<string>();
        var offset = 0L;
        while (true)
        {
            var page = await journal.ReadAllAsync(offset, 10);
            if (page.Count == 0)
            {
                break;
            }

            Assert.True(page.Count <= 10);
            seen.AddRange(page.Select(TextOf));
            offset = page[^1].Ordering;
        }

        Assert.Equal(Enumerable.Range(1, 25).Select(i => $"e{i}"), seen);
    }

    [Fact]
    public async Task ReadByTag_ReturnsOnlyTaggedEventsInOrdering()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([Event("a", 1, "a1", ["payments"]), Event("b", 1, "b1", ["crm"]), Event("a", 2, "a2", ["payments", "crm"]), Event("c", 1, "c1")]);
        var payments = await journal.ReadByTagAsync("payments", 0, 100);
        Assert.Equal(["a1", "a2"], payments.Select(TextOf));
        Assert.Equal(["payments", "crm"], payments[1].Tags);
        var crm = await journal.ReadByTagAsync("crm", payments[0].Ordering, 100);
        Assert.Equal(["b1", "a2"], crm.Select(TextOf));
        Assert.Empty(await journal.ReadByTagAsync("none", 0, 100));
    }

    [Theory]
    [InlineData("Grüße, Zoë 👩‍💻 — ✓ 日本語 العربية")]
    [InlineData("quotes \" and \\ backslashes \n newlines \t tabs")]
    [InlineData("")]
    public async Task UnicodeAndEscapedPayloads_RoundTrip(string text)
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([Event("ü-entité/1", 1, text)]);
        var stored = Assert.Single(await ReadAll(journal, "ü-entité/1"));
        Assert.Equal(text, TextOf(stored));
    }

    [Fact]
    public async Task LargePayload_RoundTrips()
    {
        var (journal, _) = await Stores();
        var large = string.Concat(Enumerable.Repeat("0123456789abcdef", 65_536)); // 1 MiB
        await journal.WriteAsync([Event("big", 1, large)]);
        Assert.Equal(large, TextOf(Assert.Single(await ReadAll(journal, "big"))));
    }

    [Fact]
    public async Task ConcurrentWriters_OfDistinctEntities_AllLand()
    {
        var (journal, _) = await Stores();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 1; i <= 25; i++)
            {
                await journal.WriteAsync([Event($"w{w}", (2 * i) - 1), Event($"w{w}", 2 * i)]);
            }
        })));

        var all = await journal.ReadAllAsync(0, 1000);
        Assert.Equal(400, all.Count);
        Assert.Equal(400, all.Select(e => e.Ordering).Distinct().Count());
        for (var w = 0; w < 8; w++)
        {
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), (await ReadAll(journal, $"w{w}")).Select(e => e.SequenceNr));
        }
    }

    /// <summary>
    /// A reader follows ordering while 8 writers commit batches concurrently. It must see every
    /// event exactly once and in increasing ordering: no event may appear behind the reader's
    /// offset after the reader passed it (the missed-event bug of naive ordering readers).
    /// </summary>
    [Fact]
    public async Task ReadAll_FollowingConcurrentWriters_IsGapless()
    {
        var (journal, _) = await Stores();
        const int writers = 8;
        const int batches = 50;
        const int batchSize = 20;
        var written = new ConcurrentBag<(string, long)>();
        using var done = new CancellationTokenSource();
        var writing = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var b = 0; b < batches; b++)
            {
                var batch = Enumerable.Range(1, batchSize).Select(i => Event($"writer-{w}", (b * batchSize) + i)).ToList();
                await journal.WriteAsync(batch);
                foreach (var e in batch)
                {
                    written.Add((e.PersistenceId, e.SequenceNr));
                }
            }
        })));

        var seen = new List<StoredEvent>();
        var offset = 0L;
        var finished = false;
        while (true)
        {
            var page = await journal.ReadAllAsync(offset, 50);
            seen.AddRange(page);
            if (page.Count > 0)
            {
                offset = page[^1].Ordering;
            }
            else if (finished)
            {
                break;
            }
            else
            {
                finished = writing.IsCompleted;
                await Task.Yield();
            }
        }

        await writing;
        Assert.Equal(writers * batches * batchSize, written.Count);
        Assert.Equal(written.OrderBy(x => x).ToList(), seen.Select(e => (e.PersistenceId, e.SequenceNr)).OrderBy(x => x).ToList());
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i].Ordering > seen[i - 1].Ordering, "orderings must strictly increase for a following reader");
        }
    }

    [Fact]
    public async Task ReadEvents_OfManyEntities_GroupsEachInOrderFromItsOwnStart_SkippingDeleted()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([.. Enumerable.Range(1, 5).Select(i => Event("a", i, $"a{i}")), Event("b", 1, "b1"), .. Enumerable.Range(1, 3).Select(i => Event("c", i, $"c{i}"))]);
        await journal.WriteAsync([Event("a", 6, "a6"), Event("b", 2, "b2")]);
        await journal.DeleteEventsToAsync("c", 3);

        var read = new List<StoredEvent>();
        await foreach (var e in journal.ReadEventsAsync([new ReplayFrom("a", 3), new ReplayFrom("b", 1), new ReplayFrom("c", 1), new ReplayFrom("nobody", 1)]))
        {
            read.Add(e);
        }

        // Each entity's events are contiguous and oldest first; entities may come in any order.
        var groups = read.Select(e => e.PersistenceId).Distinct().ToList();
        Assert.Equal(["a", "b"], groups.Order());
        foreach (var id in groups)
        {
            var first = read.FindIndex(e => e.PersistenceId == id);
            var count = read.Count(e => e.PersistenceId == id);
            Assert.All(read.Skip(first).Take(count), e => Assert.Equal(id, e.PersistenceId));
        }

        Assert.Equal(["a3", "a4", "a5", "a6"], read.Where(e => e.PersistenceId == "a").Select(TextOf));
        Assert.Equal(["b1", "b2"], read.Where(e => e.PersistenceId == "b").Select(TextOf));
        Assert.DoesNotContain(read, e => e.PersistenceId == "c");
    }

    [Fact]
    public async Task HighestSequenceNrs_OfManyEntities_CountDeletedEvents_AndLeaveOutUnknownOnes()
    {
        var (journal, _) = await Stores();
        await journal.WriteAsync([.. Enumerable.Range(1, 4).Select(i => Event("a", i)), Event("b", 1)]);
        await journal.DeleteEventsToAsync("a", 4);

        var highest = await journal.ReadHighestSequenceNrsAsync(["a", "b", "nobody"]);
        Assert.Equal(new Dictionary<string, long> { ["a"] = 4, ["b"] = 1 }, highest);
        Assert.Empty(await journal.ReadHighestSequenceNrsAsync([]));
    }

    [Fact]
    public async Task Snapshots_LatestOfManyEntities_LeaveOutEntitiesWithout()
    {
        var (_, snapshots) = await Stores();
        foreach (var (id, seq) in new[] { ("a", 10L), ("a", 20L), ("b", 5L) })
        {
            await snapshots.SaveAsync(new StoredSnapshot(id, seq, Now, new SerializedEvent("V1.CounterState", Encoding.UTF8.GetBytes($$"""{"Count":{{seq}},"Notes":[]}"""))));
        }

        var latest = await snapshots.LoadLatestAsync(["a", "b", "nobody"]);
        Assert.Equal(["a", "b"], latest.Keys.Order());
        Assert.Equal(20, latest["a"].SequenceNr);
        Assert.Equal("a", latest["a"].PersistenceId);
        Assert.Equal(20, System.Text.Json.JsonDocument.Parse(latest["a"].State.Payload).RootElement.GetProperty("Count").GetInt32());
        Assert.Equal(5, latest["b"].SequenceNr);
    }

    [Fact]
    public async Task Snapshots_SaveLoadLatestAndDelete()
    {
        var (_, snapshots) = await Stores();
        Assert.Null(await snapshots.LoadLatestAsync("p"));
        foreach (var seq in new[] { 10L, 20, 30 })
        {
            await snapshots.SaveAsync(new StoredSnapshot("p", seq, Now, new SerializedEvent("V1.CounterState", Encoding.UTF8.GetBytes($$"""{"Count":{{seq}},"Notes":[]}"""))));
        }

        Assert.Equal(30, (await snapshots.LoadLatestAsync("p"))!.SequenceNr);
        Assert.Equal(20, (await snapshots.LoadLatestAsync("p", 25))!.SequenceNr);
        var loaded = (await snapshots.LoadLatestAsync("p"))!;
        Assert.Equal("V1.CounterState", loaded.State.TypeName);
        Assert.Equal(30, System.Text.Json.JsonDocument.Parse(loaded.State.Payload).RootElement.GetProperty("Count").GetInt32());
        Assert.Equal(Now, loaded.Timestamp);

        await snapshots.DeleteToAsync("p", 20);
        Assert.Null(await snapshots.LoadLatestAsync("p", 25));
        Assert.Equal(30, (await snapshots.LoadLatestAsync("p"))!.SequenceNr);
    }

    [Fact]
    public async Task Snapshot_SavedTwiceAtOneSequenceNr_KeepsTheLatest()
    {
        var (_, snapshots) = await Stores();
        await snapshots.SaveAsync(new StoredSnapshot("p", 5, Now, new SerializedEvent("V1.CounterState", """{"Count":1,"Notes":[]}"""u8.ToArray())));
        await snapshots.SaveAsync(new StoredSnapshot("p", 5, Now, new SerializedEvent("V1.CounterState", """{"Count":2,"Notes":[]}"""u8.ToArray())));
        var loaded = (await snapshots.LoadLatestAsync("p"))!;
        Assert.Equal(2, System.Text.Json.JsonDocument.Parse(loaded.State.Payload).RootElement.GetProperty("Count").GetInt32());
    }
}

public sealed class MemoryJournalContract(MemoryStoreFixture fixture) : JournalContract<MemoryStoreFixture>(fixture);

public sealed class SqliteJournalContract(SqliteStoreFixture fixture) : JournalContract<SqliteStoreFixture>(fixture);

public sealed class PostgresJournalContract(PostgresStoreFixture fixture) : JournalContract<PostgresStoreFixture>(fixture);
