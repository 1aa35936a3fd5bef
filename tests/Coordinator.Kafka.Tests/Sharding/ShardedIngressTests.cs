using System.Text;
using Confluent.Kafka;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Tests.Ingress;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>
/// Records through the real Kafka client over the embedded broker, through the ingress graph,
/// into Akka.Cluster.Sharding ledgers journaling through our Akka.Persistence plugin: once in
/// effect, in order, through restarts, duplicates and poison.
/// </summary>
public sealed class ShardedIngressTests
{
    private const string Topic = "ledger";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task TenThousandEvents_OverAThousandKeys_EachLedgerIsTheFoldOfItsEventsOnce(string store)
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 8);
        await using var stores = Stores.Create(store);
        var work = new Workload(Topic, keys: 1_000);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 10_000);
        }

        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 8), ClusterStores.Kafka(kafka, "exact", Topic), stores.DeadLetters);
        await Eventually.TrueAsync(() => node.Metrics.Applied == 10_000, "10,000 records applied", Patience);

        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "exact", Topic, 8, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Metrics.DuplicatesRedelivered + node.Metrics.DuplicatesRepublished);
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
        Assert.Empty(await stores.DeadLetters.ListAsync());
        Assert.Equal(8, (await node.LocalShardsAsync()).Count);
    }

    [Fact]
    public async Task RepublishedBusinessId_IsDroppedAndCounted_ButADifferentIdIsNot()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 2);
        await using var stores = Stores.Create("sqlite");
        var work = new Workload(Topic, keys: 10);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 100);
            work.Publish(producer, "acct-3", "e-3", 4); // the same fact published again
            work.Publish(producer, "acct-3", "e-3", 4);
            work.Publish(producer, "acct-3", "e-1003", 4); // same amount, new fact
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 2), ClusterStores.Kafka(kafka, "republish", Topic), stores.DeadLetters);
        await Eventually.TrueAsync(() => node.Metrics.Applied + node.Metrics.DuplicatesRepublished == 103, "103 records handled", Patience);

        Assert.Equal(2, node.Metrics.DuplicatesRepublished);
        Assert.Equal(101, node.Metrics.Applied);
        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "republish", Topic, 2, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task PoisonRecords_AreDeadLetteredWithReasons_AndThePartitionKeepsFlowing(string store)
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 1);
        kafka.CreateTopic("ledger.dead-letters", partitions: 1);
        await using var stores = Stores.Create(store);
        var work = new Workload(Topic, keys: 5);
        var poison = new (string? Key, byte[] Value, DeadLetterReason Reason, string Names)[]
        {
            ("acct-1", Encoding.UTF8.GetBytes("{not json"), DeadLetterReason.Undecodable, "not JSON"),
            (null, Ledger.Envelope("p-2", 5), DeadLetterReason.MissingKey, "no key"),
            ("acct-2", Ledger.Envelope("p-3", 5, type: "ledger.reversed"), DeadLetterReason.UnknownType, "'ledger.reversed'"),
            ("acct-2", Ledger.Envelope("p-4", 5, version: 2), DeadLetterReason.UnknownType, "version 2"),
            ("acct-3", Ledger.Envelope("p-5", 0), DeadLetterReason.ContractViolated, "data.amount is 0"),
            ("acct-3", Encoding.UTF8.GetBytes("""{"id":"p-6","type":"ledger.posted","data":{"memo":"x"}}"""), DeadLetterReason.ContractViolated, "amount"),
            ("acct-4", Encoding.UTF8.GetBytes("""{"type":"ledger.posted","data":{"amount":1}}"""), DeadLetterReason.Undecodable, "'id'"),
        };
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 10);
            for (var i = 0; i < poison.Length; i++)
            {
                producer.Produce(Topic, new Message<string, byte[]> { Key = poison[i].Key!, Value = poison[i].Value });
                work.Publish(producer, 100 + (2 * i), 2);
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await using var node = await ClusterLedgerNode.StartAsync(
            ClusterStores.Node(stores, Topic, 1), ClusterStores.Kafka(kafka, "poison", Topic), stores.DeadLetters,
            new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(100), DeadLetterTopic = "ledger.dead-letters" });
        var good = 10 + (poison.Length * 2);
        await Eventually.TrueAsync(() => node.Metrics.Applied == good && node.Metrics.DeadLettered == poison.Length, "good records applied and poison dead-lettered", Patience);

        var letters = await stores.DeadLetters.ListAsync();
        Assert.Equal(poison.Length, letters.Count);
        for (var i = 0; i < poison.Length; i++)
        {
            var (key, value, reason, names) = poison[i];
            var letter = letters[i];
            Assert.Equal((Topic, 0, reason, key, "poison"), (letter.Topic, letter.Partition, letter.Reason, letter.Key, letter.ConsumerGroup));
            Assert.Equal(value, letter.Value);
            Assert.Contains(names, letter.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(letters.Select(l => l.Offset).Order(), letters.Select(l => l.Offset));
        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "poison", Topic, 1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);

        // The dead-letter topic has them too, unchanged, with the reason in a header.
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "dlq-reader", AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Subscribe("ledger.dead-letters");
        var published = new List<ConsumeResult<byte[], byte[]>>();
        await Eventually.TrueAsync(
            () =>
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { Message: not null } r)
                {
                    published.Add(r);
                }

                return published.Count == poison.Length;
            },
            "every poison record on the dead-letter topic",
            Patience);
        Assert.Equal(poison.Select(p => p.Value), published.Select(p => p.Message.Value));
        Assert.Equal(poison.Select(p => p.Reason.ToString()), published.Select(p => Encoding.UTF8.GetString(p.Message.Headers.GetLastBytes("dead-letter.reason"))));
        consumer.Close();
    }

    [Fact]
    public async Task SlowJournal_PausesThePartitionAtItsInFlightLimit_ThenDrainsEverything()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 1);
        await using var stores = Stores.Create("sqlite");
        var journal = new WrappedJournal<GatedJournal>(inner => new GatedJournal(inner));
        var work = new Workload(Topic, keys: 50);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 500);
        }

        await using var node = await ClusterLedgerNode.StartAsync(
            ClusterStores.Node(stores, Topic, 1) with { WrapJournal = journal.Wrap }, ClusterStores.Kafka(kafka, "slow", Topic), stores.DeadLetters,
            new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(200), MaxInFlightPerPartition = 20 });

        // The journal holds every write: exactly the limit is dispatched, then the partition
        // pauses. Records read ahead before the pause took effect are not dispatched past the
        // cap (they are dropped, and read again once there is room).
        await Eventually.TrueAsync(() => node.Metrics.Consumed >= 20, "20 records read", Patience);
        await Eventually.TrueAsync(() => node.Ingress.Partitions.Single().Paused, "the partition paused", Patience);
        long? read = null;
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(20, node.Ingress.InFlight);
            Assert.Equal(20, node.Ingress.Partitions.Single().InFlight);
            Assert.True(node.Ingress.Partitions.Single().Paused, "the partition stays paused");
            if (i == 25)
            {
                read = node.Metrics.Consumed; // the read-ahead is drained by now
            }
            else if (read is { } before)
            {
                Assert.Equal(before, node.Metrics.Consumed);
            }

            await Task.Delay(10); // observing that nothing more is dispatched or read while paused
        }

        Assert.Equal(0, node.Metrics.Applied);

        journal.Journal.Open();
        await Eventually.TrueAsync(() => node.Metrics.Applied == 500, "all 500 applied once the journal is back", Patience);
        Assert.Equal(0, node.Metrics.Replays); // resuming under the cap is a seek, not a rewind
        Assert.Equal(0, node.Metrics.DuplicatesRedelivered);
        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "slow", Topic, 1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }

    [Fact]
    public async Task SlowJournal_NodeBudgetReached_StopsReadingWithoutPausing_ThenDrainsEverything()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 4);
        await using var stores = Stores.Create("sqlite");
        var journal = new WrappedJournal<GatedJournal>(inner => new GatedJournal(inner));
        var work = new Workload(Topic, keys: 100);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 2_000);
        }

        await using var node = await ClusterLedgerNode.StartAsync(
            ClusterStores.Node(stores, Topic, 4) with { WrapJournal = journal.Wrap }, ClusterStores.Kafka(kafka, "budget", Topic), stores.DeadLetters,
            new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(200), MaxInFlight = 40 });

        // The journal holds every write: the budget is dispatched, then the graph stops pulling.
        // No partition reaches its own cap, so none is paused for it (pausing drops librdkafka's
        // prefetch).
        await Eventually.TrueAsync(() => node.Metrics.Consumed >= 40, "the budget read", Patience);
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(node.Metrics.Consumed, 40, 60);
            Assert.Equal(40, node.Ingress.InFlight);
            Assert.All(node.Ingress.Partitions, p => Assert.InRange(p.InFlight, 0, 40));
            Assert.All(node.Ingress.Partitions, p => Assert.False(p.Paused, $"partition {p.Partition} paused: the node budget must throttle by demand"));
            await Task.Delay(10); // observing that reading stays throttled
        }

        journal.Journal.Open();
        await Eventually.TrueAsync(() => node.Metrics.Applied == 2_000, "all 2,000 applied once the journal is back", Patience);
        await work.AssertExactAsync(node);
        await Eventually.TrueAsync(() => node.Ingress.InFlight == 0, "every completion reached the ingress", Patience);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "budget", Topic, 4, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }

    [Fact]
    public async Task JournalWriteFails_ThePartitionIsRewound_AndNothingIsLostOrDoubled()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 2);
        await using var stores = Stores.Create("sqlite");
        // One write fails outright; another commits but reports failure (its acknowledgement lost).
        var journal = new WrappedJournal<FailingJournal>(inner => new FailingJournal(inner, [(Ledger.PersistenceId("acct-7"), 5, CommitFirst: false), (Ledger.PersistenceId("acct-20"), 30, CommitFirst: true)]));
        var work = new Workload(Topic, keys: 30);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 2_000);
        }

        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 2) with { WrapJournal = journal.Wrap, VerifySerialization = false }, ClusterStores.Kafka(kafka, "rewind", Topic), stores.DeadLetters);
        // Done when the watermark passed every record. Records whose write committed but
        // reported failure are journaled without counting as applied here: on the replay they
        // are recognised as redelivered.
        await Ledger.WaitCommittedToEndAsync(kafka, "rewind", Topic, 2, TimeSpan.FromSeconds(60));
        Assert.True(node.Metrics.Replays >= 2, $"each failed write rewinds its partition (replays: {node.Metrics.Replays})");
        Assert.Equal(2, journal.Journal.Failures);
        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        Assert.Empty(await stores.DeadLetters.ListAsync());
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }

    [Fact]
    public async Task SecondNodeJoins_RevokedPartitionsAreCommittedExactly_SoNothingIsDeliveredTwice()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 8);
        await using var stores = Stores.Create("postgres");
        var work = new Workload(Topic, keys: 400);
        using var producer = Ledger.Producer(kafka);
        work.Publish(producer, 0, 3_000);

        // Two members: serialize-messages off, because ddata's own ReadRepair message fails that
        // check and is dropped, which can stall the shard coordinator (measured, see ClusterIngressTests).
        await using var first = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 8) with { VerifySerialization = false }, ClusterStores.Kafka(kafka, "join", Topic), stores.DeadLetters);
        await Eventually.TrueAsync(() => first.Metrics.Applied >= 500, "the first node is mid-stream", Patience);
        await using var second = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 8, seed: first.Address) with { VerifySerialization = false }, ClusterStores.Kafka(kafka, "join", Topic), stores.DeadLetters);
        await Eventually.TrueAsync(() => first.Ingress.Assignment.Count == 4 && second.Ingress.Assignment.Count == 4, "the partitions split 4 and 4", Patience);
        Assert.Empty(first.Ingress.Assignment.Intersect(second.Ingress.Assignment));

        work.Publish(producer, 3_000, 2_000);
        await Eventually.TrueAsync(() => first.Metrics.Applied + second.Metrics.Applied == 5_000, "5,000 applied between the two nodes", Patience);

        // The first node committed its revoked partitions exactly where it stopped: the second
        // node received none of the records the first had applied.
        Assert.True(first.Metrics.DuplicatesRedelivered + second.Metrics.DuplicatesRedelivered == 0, $"redelivered: first {first.Metrics.DuplicatesRedelivered} (commits {first.Metrics.Commits}, failed {first.Metrics.CommitFailures}), second {second.Metrics.DuplicatesRedelivered} (commits {second.Metrics.Commits}, failed {second.Metrics.CommitFailures})");
        Assert.True(second.Metrics.Applied > 0, "the second node took over work");
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "join", Topic, 8, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task BrokerDownForTenSeconds_ConsumptionResumes_AndNothingIsLost()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 4);
        await using var stores = Stores.Create("sqlite");
        var work = new Workload(Topic, keys: 100);
        using var producer = Ledger.Producer(kafka);
        work.Publish(producer, 0, 1_000);
        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 4), ClusterStores.Kafka(kafka, "outage", Topic), stores.DeadLetters);
        await Eventually.TrueAsync(() => node.Metrics.Applied == 1_000, "1,000 applied before the outage", Patience);

        kafka.SetBrokerDown(1);
        for (var n = 1_000; n < 2_000; n++)
        {
            work.Publish(producer, $"acct-{n % 100}", $"e-{n}", n + 1); // buffered by the producer meanwhile
        }

        await Task.Delay(TimeSpan.FromSeconds(10)); // the outage itself, not a wait for a condition
        Assert.Equal(1_000, node.Metrics.Applied);
        kafka.SetBrokerUp(1);
        producer.Flush(TimeSpan.FromSeconds(60));

        await Eventually.TrueAsync(() => node.Metrics.Applied == 2_000, "all 2,000 applied after the outage", Patience);
        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "outage", Topic, 4, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }
}
