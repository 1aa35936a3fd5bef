using System.Collections.Concurrent;
using System.Text.Json;
using Akka.Actor;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Sharding;
using Coordinator.Kafka.Tests.Ingress;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>
/// "A rewind can let a record through": deliveries sent by hand to a node's ledger region under a
/// track and generation of the test's choosing, with the journal write of one record held and
/// failed on cue, so nothing depends on timing. A delivery of a superseded generation is never
/// applied, and no later record of an entity is applied ahead of an earlier one that failed.
/// </summary>
public sealed class RecordGateTests
{
    private const string Topic = "ledger";
    private const string Manual = "manual"; // the topic the hand-made deliveries claim (no consumer reads it)
    private static readonly TimeSpan Ask = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DeliveryOfASupersededGeneration_IsStale_AndNeverJournaled()
    {
        await using var setup = await Setup.StartAsync("gate-superseded");
        var track = Guid.NewGuid();

        setup.Node.Extension.Gate.Supersede(track, 1);
        var stale = await setup.DeliverAsync("acct-y", offset: 0, track, generation: 1);
        Assert.Equal(RecordOutcome.Stale, stale.Outcome);
        Assert.Empty(await setup.JournaledAsync("acct-y"));
        Assert.Empty((await setup.Node.QueryAsync("acct-y")).EventIds);

        // The next generation is current: its delivery of the same record is applied, once.
        var applied = await setup.DeliverAsync("acct-y", offset: 0, track, generation: 2);
        Assert.Equal(RecordOutcome.Applied, applied.Outcome);
        Assert.Equal([0L], await setup.JournaledAsync("acct-y"));
        Assert.Equal(RecordOutcome.Stale, (await setup.DeliverAsync("acct-y", offset: 1, track, generation: 1)).Outcome);
        Assert.Equal([0L], await setup.JournaledAsync("acct-y"));
        Assert.Equal(["e-0"], (await setup.Node.QueryAsync("acct-y")).EventIds);
    }

    [Fact]
    public async Task WriteFails_TheRecordBehindItIsNeverApplied_AndTheNextIncarnationRefusesTheOldGeneration()
    {
        await using var setup = await Setup.StartAsync("gate-failed");
        var track = Guid.NewGuid();
        const string X = "acct-x";

        // Offset 10's write is held in the journal; offset 11 follows it to the same entity
        // (stashed behind the write, or, if it arrives after the entity stopped, taken by the
        // next incarnation: either way it is sent after the failure's generation).
        var (held, release) = setup.Journal.Journal.Hold(Ledger.PersistenceId(X));
        var first = setup.DeliverAsync(X, offset: 10, track, generation: 1);
        await held.WaitAsync(Ask);
        var second = setup.DeliverAsync(X, offset: 11, track, generation: 1);
        release.SetResult(false); // the write of offset 10 fails

        var failed = await first;
        Assert.Equal(RecordOutcome.Failed, failed.Outcome);
        var behind = await second;
        Assert.Contains(behind.Outcome, new[] { RecordOutcome.Undeliverable, RecordOutcome.Stale });
        Assert.False(setup.Node.Extension.Gate.IsCurrent(track, 1), "the failure superseded its generation");
        Assert.Empty(await setup.JournaledAsync(X));

        // A new incarnation (recovered from the journal) gets a later record of the old
        // generation: stale, not applied ahead of the failed one.
        Assert.Equal(RecordOutcome.Stale, (await setup.DeliverAsync(X, offset: 12, track, generation: 1)).Outcome);
        Assert.Empty(await setup.JournaledAsync(X));
        Assert.Empty((await setup.Node.QueryAsync(X)).EventIds);

        // The rewind's generation redelivers from the failed record on, in order.
        foreach (var offset in new long[] { 10, 11, 12 })
        {
            Assert.Equal(RecordOutcome.Applied, (await setup.DeliverAsync(X, offset, track, generation: 2)).Outcome);
        }

        Assert.Equal([10L, 11L, 12L], await setup.JournaledAsync(X));
        Assert.Equal(["e-10", "e-11", "e-12"], (await setup.Node.QueryAsync(X)).EventIds);
    }

    /// <summary>A one-node cluster (its ingress on an empty topic, holding partition 0 so shard 0 is placed here) and its journal.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly EmbeddedKafka _kafka;
        private readonly Stores _stores;

        private Setup(EmbeddedKafka kafka, Stores stores, WrappedJournal<HoldingJournal> journal, ClusterLedgerNode node)
            => (_kafka, _stores, Journal, Node) = (kafka, stores, journal, node);

        public WrappedJournal<HoldingJournal> Journal { get; }

        public ClusterLedgerNode Node { get; }

        public static async Task<Setup> StartAsync(string group)
        {
            var kafka = new EmbeddedKafka();
            kafka.CreateTopic(Topic, partitions: 1);
            var stores = Stores.Create("sqlite");
            var journal = new WrappedJournal<HoldingJournal>(inner => new HoldingJournal(inner));
            var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 1) with { WrapJournal = journal.Wrap, VerifySerialization = false }, ClusterStores.Kafka(kafka, group, Topic), stores.DeadLetters);
            await Eventually.TrueAsync(() => node.Ingress.Assignment.Count == 1, "partition 0 assigned, so its shard is placed here", TimeSpan.FromSeconds(60));
            await node.QueryAsync("warm-up"); // an entity's recovery opens the journal plugin's store
            Assert.True(journal.Created);
            return new Setup(kafka, stores, journal, node);
        }

        /// <summary>Asks the region with the record <c>e-{offset}</c> (amount offset + 1) for <paramref name="entity"/> from partition 0 of the manual topic.</summary>
        public Task<RecordAck> DeliverAsync(string entity, long offset, Guid track, long generation)
        {
            var posted = new Posted(offset + 1, null);
            var delivery = new RecordDelivery(Manual, 0, offset, track, generation, entity, $"e-{offset}", Ledger.PostedType, 1, JsonSerializer.SerializeToElement(posted, Ledger.PostedJson), DateTimeOffset.UtcNow) { Decoded = posted };
            return Node.Region.Ask<RecordAck>(delivery, Ask);
        }

        /// <summary>The offsets journaled for <paramref name="entity"/>, in sequence order.</summary>
        public async Task<List<long>> JournaledAsync(string entity)
            => [.. (await Ledger.ReadAppliedAsync(_stores.Journal)).Where(r => r.Row.PersistenceId == Ledger.PersistenceId(entity)).OrderBy(r => r.Row.SequenceNr).Select(r => r.Applied.Offset)];

        public async ValueTask DisposeAsync()
        {
            await Node.DisposeAsync();
            await _stores.DisposeAsync();
            _kafka.Dispose();
        }
    }

    /// <summary>A journal that holds the next write of a chosen persistence id until the test lets it through or fails it.</summary>
    private sealed class HoldingJournal(IJournalStore inner) : DelegatingJournal(inner)
    {
        private readonly ConcurrentDictionary<string, (TaskCompletionSource Held, TaskCompletionSource<bool> Release)> _holds = new(StringComparer.Ordinal);

        /// <summary>Holds the next write of <paramref name="persistenceId"/>: <c>Held</c> completes when it arrives; set <c>Release</c> true to write it, false to fail it.</summary>
        public (Task Held, TaskCompletionSource<bool> Release) Hold(string persistenceId)
        {
            var hold = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
            _holds[persistenceId] = hold;
            return (hold.Item1.Task, hold.Item2);
        }

        public override async Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
        {
            foreach (var e in events)
            {
                if (_holds.TryRemove(e.PersistenceId, out var hold))
                {
                    hold.Held.TrySetResult();
                    if (!await hold.Release.Task.WaitAsync(cancellationToken))
                    {
                        throw new IOException($"injected journal failure at {e.PersistenceId} #{e.SequenceNr}");
                    }
                }
            }

            await base.WriteAsync(events, cancellationToken);
        }
    }
}
