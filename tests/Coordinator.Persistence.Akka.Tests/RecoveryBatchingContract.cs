using Akka.Actor;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Journal;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// Many entities recovering at once through our plugin: their highest-sequence-number reads and
/// snapshot loads and short replays are coalesced
/// (<see cref="ReadBatcher{TKey, T}"/>), and every one still recovers
/// exactly its own state; a store failing those reads fails the recoveries it answered, and
/// later recoveries succeed.
/// </summary>
public abstract class RecoveryBatchingContract<TBinding> : PluginTestKit<TBinding>
    where TBinding : PluginBinding, new()
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    protected RecoveryBatchingContract(ITestOutputHelper output)
        : base(output, Hocon)
    {
    }

    // Coalescing is on by default on PostgreSQL only; these tests turn it on for SQLite too.
    private const string Hocon = """
        akka.persistence.max-concurrent-recoveries = 200
        akka.persistence.journal.coordinator.coalesce-recovery-reads = on
        akka.persistence.snapshot-store.coordinator.coalesce-recovery-reads = on
        """;

    [Fact]
    public async Task ManyConcurrentRecoveries_EachRecoversExactly_WithFewerQueriesThanReads()
    {
        const int WithEvents = 500;
        const int Empty = 500;

        // Entity i has 1–4 events (adding i each time); every third snapshots every 2 events.
        var writers = Enumerable.Range(0, WithEvents).Select(i => Sys.ActorOf(CounterActor.Props($"batch-{i}", i % 3 == 0 ? 2 : 0))).ToArray();
        await Task.WhenAll(writers.Select(async (actor, i) =>
        {
            for (var n = 0; n < EventsOf(i); n++)
            {
                await actor.Ask<CounterActor.Added>(new CounterActor.Add(i), Long);
            }
        }));
        foreach (var actor in writers)
        {
            await StopAsync(actor);
        }

        var stores = CoordinatorStores.Get(Sys).All.Single();
        var (highest, snapshots) = (stores.HighestReads!, stores.SnapshotReads!);
        var (highestBefore, queriesBefore) = (highest.Reads, highest.Queries);
        var (snapshotsBefore, snapshotQueriesBefore) = (snapshots.Reads, snapshots.Queries);
        var (replaysBefore, replayQueriesBefore) = (stores.Replays!.Reads, stores.Replays.Queries);

        var ids = Enumerable.Range(0, WithEvents + Empty).ToArray();
        var recovered = ids.Select(i => Sys.ActorOf(CounterActor.Props($"batch-{i}"))).ToArray();
        var states = await Task.WhenAll(recovered.Select(a => a.Ask<CounterActor.State>(CounterActor.Get.Instance, Long)));

        for (var i = 0; i < ids.Length; i++)
        {
            var events = i < WithEvents ? EventsOf(i) : 0;
            Assert.Equal((events, events * i), (states[i].Events, states[i].Total));
            if (i < WithEvents && i % 3 == 0 && events >= 2)
            {
                Assert.True(states[i].RecoveredFromSnapshotAt >= 2, $"batch-{i} did not start from its snapshot");
            }
        }

        // Every entity read its highest sequence number and its snapshot; far fewer queries did it.
        var reads = highest.Reads - highestBefore;
        var queries = highest.Queries - queriesBefore;
        var snapshotReads = snapshots.Reads - snapshotsBefore;
        var snapshotQueries = snapshots.Queries - snapshotQueriesBefore;
        Output?.WriteLine($"highest: {reads} reads in {queries} queries; snapshots: {snapshotReads} loads in {snapshotQueries} queries");
        Assert.Equal(ids.Length, reads);
        Assert.Equal(ids.Length, snapshotReads);
        Assert.True(queries < reads, $"{queries} queries for {reads} highest-sequence-number reads");
        Assert.True(snapshotQueries < snapshotReads, $"{snapshotQueries} queries for {snapshotReads} snapshot loads");

        // Only entities with events past their snapshot replay: at most 500, in fewer queries.
        var replayReads = stores.Replays!.Reads - replaysBefore;
        var replayQueries = stores.Replays.Queries - replayQueriesBefore;
        Assert.InRange(replayReads, 1, WithEvents);
        Assert.True(replayQueries < replayReads, $"{replayQueries} queries for {replayReads} replays");

        // Written after recovery, read back by a fresh recovery: nothing stale.
        await recovered[1].Ask<CounterActor.Added>(new CounterActor.Add(1), Long);
        await StopAsync(recovered[1]);
        var again = await Sys.ActorOf(CounterActor.Props("batch-1")).Ask<CounterActor.State>(CounterActor.Get.Instance, Long);
        Assert.Equal(EventsOf(1) + 1, again.Events);
    }

    [Fact]
    public async Task FailingHighestSequenceNrReads_FailTheirRecoveries_AndLaterRecoveriesSucceed()
    {
        FailingJournal? failing = null;
        // The journal's circuit breaker would open after 10 failures and refuse the later
        // recoveries for its reset timeout; this test is about the batcher, not the breaker.
        var setup = Binding.Setup("akka.persistence.journal.coordinator.circuit-breaker.max-failures = 100000\n" + Hocon)
            .And(new CoordinatorStoresSetup(inner => failing = new FailingJournal(inner)));
        var system = ActorSystem.Create("failing-reads", setup).StartScheduler();
        try
        {
            const int Entities = 100;
            var writers = Enumerable.Range(0, Entities).Select(i => system.ActorOf(CounterActor.Props($"fail-{i}"))).ToArray();
            await Task.WhenAll(writers.Select(a => a.Ask<CounterActor.Added>(new CounterActor.Add(1), Long)));
            var probe = CreateTestProbe(system);
            foreach (var actor in writers)
            {
                probe.Watch(actor);
                actor.Tell(PoisonPill.Instance);
                await probe.ExpectTerminatedAsync(actor);
            }

            failing!.Failing = true;
            var doomed = Enumerable.Range(0, Entities).Select(i => system.ActorOf(CounterActor.Props($"fail-{i}"))).ToArray();
            foreach (var actor in doomed)
            {
                probe.Watch(actor);
            }

            // A failed recovery stops the actor.
            var stopped = new HashSet<IActorRef>();
            for (var i = 0; i < Entities; i++)
            {
                stopped.Add((await probe.ExpectMsgAsync<Terminated>(Long)).ActorRef);
            }

            Assert.Equal(doomed.ToHashSet(), stopped);
            Assert.True(failing.Failures > 0);

            failing.Failing = false;
            var states = await Task.WhenAll(Enumerable.Range(0, Entities)
                .Select(i => system.ActorOf(CounterActor.Props($"fail-{i}")).Ask<CounterActor.State>(CounterActor.Get.Instance, Long)));
            Assert.All(states, s => Assert.Equal((1, 1), (s.Events, s.Total)));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static int EventsOf(int i) => 1 + (i % 4);

    /// <summary>Forwards to the real store; while <see cref="Failing"/>, reads of highest sequence numbers fail.</summary>
    private sealed class FailingJournal(IJournalStore inner) : IJournalStore
    {
        private int _failures;

        public volatile bool Failing;

        public int Failures => Volatile.Read(ref _failures);

        public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

        public Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default) => inner.WriteAsync(events, cancellationToken);

        public IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default)
            => inner.ReadEventsAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken);

        public IAsyncEnumerable<ReplayedEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default)
            => inner.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken);

        public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
            => Fail<long>() ?? inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

        public Task<IReadOnlyDictionary<string, long>> ReadHighestSequenceNrsAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
            => Fail<IReadOnlyDictionary<string, long>>() ?? inner.ReadHighestSequenceNrsAsync(persistenceIds, cancellationToken);

        public Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) => inner.DeleteEventsToAsync(persistenceId, toSequenceNr, cancellationToken);

        public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default) => inner.ReadAllAsync(afterOrdering, max, cancellationToken);

        public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default) => inner.ReadByTagAsync(tag, afterOrdering, max, cancellationToken);

        public Task<IReadOnlyList<(long Ordering, string PersistenceId)>> ReadPersistenceIdsAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
            => inner.ReadPersistenceIdsAsync(afterOrdering, max, cancellationToken);

        public IAsyncEnumerable<StoredEvent> ReadEventsAsync(IReadOnlyList<ReplayFrom> entities, CancellationToken cancellationToken = default)
            => inner.ReadEventsAsync(entities, cancellationToken);

        private Task<T>? Fail<T>()
        {
            if (!Failing)
            {
                return null;
            }

            Interlocked.Increment(ref _failures);
            return Task.FromException<T>(new InvalidOperationException("injected read failure"));
        }
    }
}

public sealed class OurPostgresRecoveryBatching(ITestOutputHelper output) : RecoveryBatchingContract<OurPostgresBinding>(output);

public sealed class OurSqliteRecoveryBatching(ITestOutputHelper output) : RecoveryBatchingContract<OurSqliteBinding>(output);
