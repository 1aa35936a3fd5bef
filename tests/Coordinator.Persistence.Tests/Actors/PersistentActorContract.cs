using System.Text;
using Coordinator.Actors.Supervision;

namespace Coordinator.Persistence.Tests.Actors;

/// <summary>Persistent-actor behaviour, run against every store.</summary>
public abstract class PersistentActorContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>, IAsyncLifetime
    where TFixture : class, IStoreFixture
{
    private static int _systems;
    private ActorSystem _system = null!;
    private IJournalStore _journal = null!;

    public async Task InitializeAsync()
    {
        var (journal, snapshots) = await fixture.CreateAsync();
        _journal = journal;
        _system = ActorSystem.Create($"persistence-{Interlocked.Increment(ref _systems)}");
        await PersistenceExtension.StartAsync(_system, new PersistenceSettings { Journal = journal, SnapshotStore = snapshots, Registry = TestRegistry.Create(), WriterId = "test-node" });
    }

    public async Task DisposeAsync() => await _system.Terminate();

    private static EventToWrite Event(string pid, long seq, string text)
        => new(pid, seq, new SerializedEvent("V1.NoteAdded", Encoding.UTF8.GetBytes($$"""{"Text":"{{text}}"}""")), [], new EventMetadata(DateTimeOffset.UnixEpoch, "old-node", null, null, Actor.System));

    private IActorRef Entity(string pid, TestProbe? probe = null, int snapshotEvery = 0)
        => _system.ActorOf(Props.Create(() => new CaseEntity(pid, probe?.Ref, snapshotEvery)));

    private async Task<IActorRef> Recovered(string pid, TestProbe probe, int snapshotEvery = 0)
    {
        var entity = Entity(pid, probe, snapshotEvery);
        await probe.FishForMessageAsync<string>(s => s.StartsWith("recovered:", StringComparison.Ordinal), hint: $"{pid} to recover");
        return entity;
    }

    [Fact]
    public async Task Persist_ThenANewIncarnation_RecoversTheSameState()
    {
        var entity = Entity("case-1");
        for (var i = 1; i <= 20; i++)
        {
            Assert.Equal($"ok:{i}", await entity.Ask<string>($"add:n{i}"));
        }

        var before = await entity.Ask<CounterState>("get");
        Assert.True(await entity.GracefulStop(TimeSpan.FromSeconds(5)));

        var probe = new TestProbe(_system);
        var again = await Recovered("case-1", probe);
        var after = await again.Ask<CounterState>("get");
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before.Notes, after.Notes);
        Assert.Equal(20, await again.Ask<long>("seq"));
        Assert.Equal("ok:21", await again.Ask<string>("add:next"));
    }

    [Fact]
    public async Task Persist_CommandsArrivingDuringTheWrite_WaitUntilTheHandlerRan()
    {
        var entity = Entity("case-stash");
        var client = new TestProbe(_system);
        for (var i = 0; i < 50; i++)
        {
            client.Send(entity, $"add:{i}");
            client.Send(entity, "get");
        }

        for (var i = 0; i < 50; i++)
        {
            await client.ExpectMsgAsync($"ok:{i + 1}");
            var state = await client.ExpectMsgAsync<CounterState>();
            Assert.Equal(i + 1, state.Count); // "get" saw the event it followed
        }
    }

    [Fact]
    public async Task PersistAll_WritesAtomicallyAndAppliesInOrder()
    {
        var entity = Entity("case-all");
        entity.Tell("many:a,b,c", null);
        var state = await entity.Ask<CounterState>("get");
        Assert.Equal(["a", "b", "c"], state.Notes);
        Assert.Equal(3, await entity.Ask<long>("seq"));
    }

    [Fact]
    public async Task Recovery_FromASnapshotPolicy_ReplaysOnlyLaterEvents()
    {
        var probe = new TestProbe(_system);
        var entity = await Recovered("case-snap", probe, snapshotEvery: 10);
        for (var i = 1; i <= 25; i++)
        {
            await entity.Ask<string>($"add:n{i}");
        }

        await probe.FishForMessageAsync<SaveSnapshotSuccess>(s => s.SequenceNr == 20, hint: "the policy's snapshot at 20");
        await entity.GracefulStop(TimeSpan.FromSeconds(5));

        var replay = new TestProbe(_system);
        var again = Entity("case-snap", replay, snapshotEvery: 10);
        Assert.Equal("snapshot:20", await replay.ExpectMsgAsync<string>());
        Assert.Equal(["replayed:n21", "replayed:n22", "replayed:n23", "replayed:n24", "replayed:n25", "recovered:25"], (await replay.ReceiveNAsync(6)).Cast<string>());
        Assert.Equal(25, (await again.Ask<CounterState>("get")).Count);
    }

    [Fact]
    public async Task SnapshotOnDemand_AndDeleteMessages_RecoveryUsesWhatRemains()
    {
        var probe = new TestProbe(_system);
        var entity = await Recovered("case-delete", probe);
        for (var i = 1; i <= 6; i++)
        {
            await entity.Ask<string>($"add:n{i}");
        }

        entity.Tell("snapshot", null);
        await probe.FishForMessageAsync<SaveSnapshotSuccess>(s => s.SequenceNr == 6);
        entity.Tell("delete:6", null);
        await probe.FishForMessageAsync<DeleteMessagesSuccess>(d => d.ToSequenceNr == 6);
        await entity.GracefulStop(TimeSpan.FromSeconds(5));

        var replay = new TestProbe(_system);
        var again = Entity("case-delete", replay);
        Assert.Equal("snapshot:6", await replay.ExpectMsgAsync<string>());
        Assert.Equal("recovered:6", await replay.ExpectMsgAsync<string>());
        Assert.Equal(6, (await again.Ask<CounterState>("get")).Count);
        Assert.Equal("ok:7", await again.Ask<string>("add:after-delete"));
    }

    [Fact]
    public async Task Rejection_UnserialisableEvent_AnswersTheCommand_AndTheActorGoesOn()
    {
        var entity = Entity("case-reject");
        var ex = await Assert.ThrowsAsync<PersistRejectedException>(() => entity.Ask<string>("bad"));
        Assert.Contains(nameof(Unregistered), ex.Message, StringComparison.Ordinal);
        Assert.Equal("ok:1", await entity.Ask<string>("add:still-alive"));
    }

    [Fact]
    public async Task Metadata_IsRecordedWithTheEvent()
    {
        var entity = Entity("case-meta");
        await entity.Ask<string>("traced:with metadata");
        var stored = Assert.Single(await _journal.ReadAllAsync(0, 10));
        Assert.Equal("test-node", stored.Metadata.WriterId);
        Assert.Equal("corr-42", stored.Metadata.CorrelationId);
        Assert.Equal("cmd-7", stored.Metadata.CausationId);
        Assert.Equal(Actor.Operator("alice"), stored.Metadata.CausedBy);
        Assert.Equal(["notes"], stored.Tags);
        Assert.Equal("V1.NoteAdded", stored.Event.TypeName);
    }

    [Fact]
    public async Task ZombieWriter_IsFencedByTheSequenceConflict()
    {
        var probeA = new TestProbe(_system);
        var probeB = new TestProbe(_system);
        var a = await Recovered("case-zombie", probeA);
        await a.Ask<string>("add:a1");
        var b = await Recovered("case-zombie", probeB); // a second incarnation elsewhere: recovers 1 event
        Assert.Equal("ok:2", await b.Ask<string>("add:b2"));

        probeA.Watch(a);
        a.Tell("add:a2", null); // the zombie still believes it is at 1
        await probeA.FishForMessageAsync<string>(s => s == "persist-failed:JournalConflictException");
        await probeA.ExpectTerminatedAsync(a);

        var texts = new List<string>();
        await foreach (var e in _journal.ReadEventsAsync("case-zombie", 1, long.MaxValue))
        {
            texts.Add(Encoding.UTF8.GetString(e.Event.Payload));
        }

        Assert.Equal(2, texts.Count);
        Assert.Contains("b2", texts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyActors_PersistConcurrently_EachHistoryIsContiguous()
    {
        var entities = Enumerable.Range(0, 40).Select(i => Entity($"many-{i}")).ToList();
        await Task.WhenAll(entities.Select(async e =>
        {
            for (var i = 1; i <= 25; i++)
            {
                Assert.Equal($"ok:{i}", await e.Ask<string>($"add:{i}"));
            }
        }));

        for (var i = 0; i < 40; i++)
        {
            var sequence = new List<long>();
            await foreach (var e in _journal.ReadEventsAsync($"many-{i}", 1, long.MaxValue))
            {
                sequence.Add(e.SequenceNr);
            }

            Assert.Equal(Enumerable.Range(1, 25).Select(x => (long)x), sequence);
        }
    }

    [Fact]
    public async Task Recovery_OfAnUnknownEventType_FailsClearlyAndStops()
    {
        await _journal.WriteAsync([new EventToWrite("case-corrupt", 1, new SerializedEvent("V9.Mystery", "{}"u8.ToArray()), [], new EventMetadata(DateTimeOffset.UnixEpoch, "old-node", null, null, Actor.System))]);
        var probe = new TestProbe(_system);
        var entity = Entity("case-corrupt", probe);
        probe.Watch(entity);
        Assert.Equal("recovery-failed:EventSerializationException", await probe.FishForMessageAsync<string>(s => s.StartsWith("recovery-failed", StringComparison.Ordinal)));
        await probe.ExpectTerminatedAsync(entity);
    }

    [Fact]
    public async Task ManyEntitiesRecoveringAtOnce_EachGetsItsOwnHistory_AndACorruptOneFailsAlone()
    {
        // Entity i has i % 7 events; every third has a snapshot; entity 5 lost its first events to
        // deletion; "corrupt" holds an event nobody can read. They all start in the same instant,
        // so recoveries are read many entities per query.
        const int Count = 300;
        var rows = new List<EventToWrite>();
        for (var i = 0; i < Count; i++)
        {
            for (var seq = 1; seq <= i % 7; seq++)
            {
                rows.Add(Event($"herd-{i}", seq, $"n{seq}"));
            }
        }

        await _journal.WriteAsync(rows);
        await _journal.DeleteEventsToAsync("herd-5", 3);
        await _journal.WriteAsync([new EventToWrite("herd-corrupt", 1, new SerializedEvent("V9.Mystery", "{}"u8.ToArray()), [], new EventMetadata(DateTimeOffset.UnixEpoch, "old-node", null, null, Actor.System))]);
        var snapshots = PersistenceExtension.Get(_system).SnapshotStore;
        for (var i = 0; i < Count; i += 3)
        {
            var at = Math.Min(2, i % 7);
            await snapshots.SaveAsync(new StoredSnapshot($"herd-{i}", at, DateTimeOffset.UnixEpoch, new SerializedEvent("V1.CounterState", Encoding.UTF8.GetBytes($$"""{"Count":{{at}},"Notes":[{{string.Join(",", Enumerable.Range(1, at).Select(n => $"\"n{n}\""))}}]}"""))));
        }

        var probe = new TestProbe(_system);
        var corrupt = Entity("herd-corrupt", probe);
        probe.Watch(corrupt);
        var entities = Enumerable.Range(0, Count).Select(i => Entity($"herd-{i}")).ToList();
        var states = await Task.WhenAll(entities.Select(e => e.Ask<CounterState>("get", TimeSpan.FromSeconds(30))));
        var sequences = await Task.WhenAll(entities.Select(e => e.Ask<long>("seq", TimeSpan.FromSeconds(30))));
        for (var i = 0; i < Count; i++)
        {
            var expected = Enumerable.Range(1, i % 7).Select(n => $"n{n}").ToList();
            if (i == 5)
            {
                expected = ["n4", "n5"]; // events 1-3 deleted, no snapshot
            }

            Assert.Equal(expected, states[i].Notes);
            Assert.Equal(i % 7, sequences[i]);
        }

        Assert.Equal("recovery-failed:EventSerializationException", await probe.FishForMessageAsync<string>(s => s.StartsWith("recovery-failed", StringComparison.Ordinal)));
        await probe.ExpectTerminatedAsync(corrupt);
        Assert.Equal("ok:1", await entities[0].Ask<string>("add:after"));
    }

    [Fact]
    public async Task BackoffSupervisor_RestartsAStoppedEntity_WhichRecovers()
    {
        var probe = new TestProbe(_system);
        var options = BackoffOptions.OnStop(Props.Create(() => new CaseEntity("case-backoff", probe.Ref, 0)), "entity", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), 0);
        var supervisor = _system.ActorOf(options.Props());
        await probe.FishForMessageAsync<string>(s => s == "recovered:0");
        Assert.Equal("ok:1", await supervisor.Ask<string>("add:x"));
        var child = (await supervisor.Ask<BackoffSupervisor.CurrentChild>(BackoffSupervisor.GetCurrentChild.Instance)).Ref!;
        _system.Stop(child);
        await probe.FishForMessageAsync<string>(s => s == "recovered:1", hint: "the restarted entity to recover its event");
        Assert.Equal(1, (await supervisor.Ask<CounterState>("get")).Count);
    }
}

public sealed class MemoryPersistentActorContract(MemoryStoreFixture fixture) : PersistentActorContract<MemoryStoreFixture>(fixture);

public sealed class SqlitePersistentActorContract(SqliteStoreFixture fixture) : PersistentActorContract<SqliteStoreFixture>(fixture);

public sealed class PostgresPersistentActorContract(PostgresStoreFixture fixture) : PersistentActorContract<PostgresStoreFixture>(fixture);
