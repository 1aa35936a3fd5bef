using System.Text;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Tests.Ingress;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>
/// A dead-letter store that is down does not stop consumption: poison records wait (holding
/// their partitions' commits), good records go on, the node stays in its consumer group, its
/// readiness says the store is failing, and once the store answers everything is recorded.
/// </summary>
public sealed class DeadLetterOutageTests
{
    private const string Topic = "ledger";

    [Fact]
    public async Task DeadLetterStoreDownForThirtySeconds_UnderLoad_GoodRecordsFlow_TheNodeStaysInTheGroup_ThenEverythingIsRecorded()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 2);
        await using var stores = Stores.Create("sqlite");
        var deadLetters = new OutageDeadLetterStore(stores.DeadLetters);
        var work = new Workload(Topic, keys: 50);
        using (var producer = Ledger.Producer(kafka))
        {
            for (var batch = 0; batch < 10; batch++)
            {
                work.Publish(producer, batch * 200, 200);
                producer.Produce(Topic, new Confluent.Kafka.Message<string, byte[]> { Key = $"acct-{batch}", Value = Encoding.UTF8.GetBytes($"{{not json {batch}") });
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        deadLetters.Down = true;
        await using var node = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 2), ClusterStores.Kafka(kafka, "outage", Topic), deadLetters);
        await Eventually.TrueAsync(() => node.Ingress.DeadLettersFailing, "the ingress to report the dead-letter store failing", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => node.Metrics.Applied == 2_000, "every good record applied while the store is down", TimeSpan.FromSeconds(60));

        // Well past the session timeout (6 s): the consume thread kept polling, so the node kept
        // its partitions; nothing was handed off, and no poison record was committed unrecorded.
        await Task.Delay(TimeSpan.FromSeconds(30));
        Assert.Equal(2, node.Ingress.Assignment.Count);
        Assert.Equal(0, node.Metrics.HandOffs);
        Assert.True(node.Ingress.DeadLettersFailing);
        Assert.All(Ledger.Committed(kafka, "outage", Topic, 2), committed => Assert.True(committed < 1_005, $"committed {committed}: past a poison record not yet recorded"));
        Assert.Empty(await stores.DeadLetters.ListAsync());

        deadLetters.Down = false;
        await Ledger.WaitCommittedToEndAsync(kafka, "outage", Topic, 2, TimeSpan.FromSeconds(60));
        Assert.False(node.Ingress.DeadLettersFailing);
        var letters = await stores.DeadLetters.ListAsync();
        Assert.Equal(10, letters.Count);
        Assert.All(letters, l => Assert.Equal(DeadLetterReason.Undecodable, l.Reason));
        await work.AssertExactAsync(node);
        Assert.True(deadLetters.Refused > 0);
    }

    /// <summary>A dead-letter store that refuses writes while <see cref="Down"/>, as an unreachable database would.</summary>
    private sealed class OutageDeadLetterStore(IDeadLetterStore inner) : IDeadLetterStore
    {
        private int _refused;

        public volatile bool Down;

        public int Refused => Volatile.Read(ref _refused);

        public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

        public Task AddAsync(DeadLetterRecord record, CancellationToken cancellationToken = default)
        {
            if (Down)
            {
                Interlocked.Increment(ref _refused);
                throw new IOException("injected: the dead-letter database is unreachable");
            }

            return inner.AddAsync(record, cancellationToken);
        }

        public Task<IReadOnlyList<DeadLetterRecord>> ListAsync(int max = 1_000, CancellationToken cancellationToken = default) => inner.ListAsync(max, cancellationToken);
    }
}
