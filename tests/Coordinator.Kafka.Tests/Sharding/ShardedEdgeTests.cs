using System.Text;
using Confluent.Kafka;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Tests.Ingress;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>
/// The sharded ingress's contracts judge records at the edge, once: what the journal cannot hold
/// (U+0000 on PostgreSQL) and what a validator cannot judge (it throws) is a poison record
/// there, and what was journaled is recovered as it was, whatever today's validators say.
/// </summary>
public sealed class ShardedEdgeTests
{
    private const string Topic = "ledger";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NulCharacter_InKeyValueOrPropertyName_IsDeadLetteredOnPostgres_AndThePartitionKeepsFlowing()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 1);
        await using var stores = Stores.Create("postgres");
        var work = new Workload(Topic, keys: 3);
        var nulKey = "acct-\0-1";
        var poison = new (string Key, byte[] Value, string EscapedKey, string Names)[]
        {
            (nulKey, Ledger.Envelope("n-1", 5), "acct-\\u0000-1", "key: contains U+0000"),
            ("acct-1", Encoding.UTF8.GetBytes("""{"id":"n-2","type":"ledger.posted","data":{"amount":5,"memo":"a\u0000b"}}"""), "acct-1", "data.memo: contains U+0000"),
            ("acct-2", Encoding.UTF8.GetBytes("""{"id":"n-3","type":"ledger.posted","data":{"amount":5,"tags":{"x\u0000y":1}}}"""), "acct-2", "data.tags: a property name contains U+0000"),
        };
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 3);
            for (var i = 0; i < poison.Length; i++)
            {
                producer.Produce(Topic, new Message<string, byte[]> { Key = poison[i].Key, Value = poison[i].Value });
                work.Publish(producer, 10 + (2 * i), 2); // later records on the same partition
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 1), ClusterStores.Kafka(kafka, "nul", Topic), stores.DeadLetters, new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(100) });
        await Eventually.TrueAsync(() => node.Metrics.Applied == work.Count && node.Metrics.DeadLettered == poison.Length, $"{work.Count} applied and {poison.Length} dead-lettered, no endless rewind", Patience);

        var letters = await stores.DeadLetters.ListAsync();
        Assert.Equal(poison.Length, letters.Count);
        for (var i = 0; i < poison.Length; i++)
        {
            var letter = letters[i];
            Assert.Equal((DeadLetterReason.ContractViolated, poison[i].EscapedKey), (letter.Reason, letter.Key));
            Assert.Equal(Encoding.UTF8.GetBytes(poison[i].Key), letter.RawKey);
            Assert.Equal(poison[i].Value, letter.Value);
            Assert.Contains(poison[i].Names, letter.Detail, StringComparison.Ordinal);
            Assert.Contains("remove the NUL character", letter.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(0, node.Metrics.Replays);
        await work.AssertExactAsync(node);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "nul", Topic, 1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }

    [Fact]
    public async Task ValidatorThrows_RecordIsDeadLetteredWithTheException_AndThePartitionKeepsFlowing()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 1);
        await using var stores = Stores.Create("postgres");
        var work = new Workload(Topic, keys: 3);
        var contracts = new RecordContracts().Register(Ledger.PostedType, 1, Ledger.PostedJson, p => p.Memo == "boom"
            ? throw new InvalidOperationException("validator bug: memo 'boom' is not handled")
            : null);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 3);
            producer.Produce(Topic, new Message<string, byte[]> { Key = "acct-1", Value = Encoding.UTF8.GetBytes("""{"id":"b-1","type":"ledger.posted","data":{"amount":5,"memo":"boom"}}""") });
            work.Publish(producer, 3, 3);
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 1), ClusterStores.Kafka(kafka, "throws", Topic), stores.DeadLetters, new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(100) }, contracts: contracts);
        await Eventually.TrueAsync(() => node.Metrics.Applied == work.Count && node.Metrics.DeadLettered == 1, $"{work.Count} applied and 1 dead-lettered, the ingress still running", Patience);

        var letter = Assert.Single(await stores.DeadLetters.ListAsync());
        Assert.Equal((DeadLetterReason.DecodingFailed, "acct-1", 3L), (letter.Reason, letter.Key, letter.Offset));
        Assert.Contains("System.InvalidOperationException", letter.Detail, StringComparison.Ordinal);
        Assert.Contains("validator bug: memo 'boom' is not handled", letter.Detail, StringComparison.Ordinal);
        Assert.False(node.Ingress.Completion.IsCompleted, "the ingress keeps running");
        await work.AssertExactAsync(node);
        await Ledger.WaitCommittedToEndAsync(kafka, "throws", Topic, 1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, node.Ingress.ProcessedElsewhere);
    }

    [Fact]
    public async Task ValidatorTightenedAfterRecordsWereJournaled_EntityRecoversWithItsState()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 1);
        await using var stores = Stores.Create("postgres");
        var work = new Workload(Topic, keys: 2);
        using (var producer = Ledger.Producer(kafka))
        {
            work.Publish(producer, 0, 10); // amounts 1 to 10
        }

        await using (var before = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 1), ClusterStores.Kafka(kafka, "tightened", Topic), stores.DeadLetters))
        {
            await Eventually.TrueAsync(() => before.Metrics.Applied == 10, "10 applied under today's contract", Patience);
            Assert.Equal(0, before.Ingress.ProcessedElsewhere);
        }

        // Tomorrow's contract refuses amounts above 5: new records are judged by it, journaled ones are not.
        var tightened = new RecordContracts().Register(Ledger.PostedType, 1, Ledger.PostedJson, p => p.Amount > 5 ? $"data.amount is {p.Amount}; post at most 5." : null);
        await using var after = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 1), ClusterStores.Kafka(kafka, "tightened", Topic), stores.DeadLetters, contracts: tightened);
        await work.AssertExactAsync(after);
        Assert.Empty(await stores.DeadLetters.ListAsync());
        Assert.Equal(0, after.Metrics.Applied + after.Metrics.DeadLettered);
    }
}
