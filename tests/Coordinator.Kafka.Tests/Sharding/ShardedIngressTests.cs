using Coordinator.Kafka.Embedded;
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
}
