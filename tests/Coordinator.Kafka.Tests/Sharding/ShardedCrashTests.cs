using System.Globalization;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Tests.Ingress;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>
/// Sharded nodes that die for real: a separate process (a one-node Akka cluster journaling to
/// PostgreSQL through our plugin) is killed with SIGKILL (no shutdown, no final commit, no
/// leaving the group or the cluster) mid-stream.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ShardedCrashTests
{
    private const string Topic = "ledger";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task RestartAfterSigkillMidStream_StaysExact_AndDropsAndCountsEveryRedelivery()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 4);
        await using var stores = Stores.Create("postgres");
        await stores.Journal.InitializeAsync();
        var work = new Workload(Topic, keys: 200);
        using var producer = Ledger.Producer(kafka);
        work.Publish(producer, 0, 3_000);

        // The first node never commits (interval one hour) and is killed mid-stream.
        using (var child = ChildNode.Start(kafka, "restart", 4, stores.Schema!, commitIntervalMs: 3_600_000))
        {
            await child.WaitForAppliedAsync(1_000);
            child.Kill();
        }

        var journaledByTheDead = (await Ledger.ReadAppliedAsync(stores.Journal)).Count;
        Assert.InRange(journaledByTheDead, 1_000, 2_999);

        work.Publish(producer, 3_000, 1_000);
        await using var second = await ClusterLedgerNode.StartAsync(ClusterStores.Node(stores, Topic, 4), ClusterStores.Kafka(kafka, "restart", Topic), stores.DeadLetters);
        await Eventually.TrueAsync(() => second.Metrics.Applied + second.Metrics.DuplicatesRedelivered == 4_000, "all 4,000 records applied or dropped", Patience);

        // Everything the dead node journaled came back from Kafka and was recognised, once each.
        Assert.Equal(journaledByTheDead, second.Metrics.DuplicatesRedelivered);
        await work.AssertExactAsync(second);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "restart", Topic, 4, TimeSpan.FromSeconds(30));
        Assert.Equal(0, second.Ingress.ProcessedElsewhere);
    }

    /// <summary>An IngressNode process in <c>akka</c> mode on the same broker and PostgreSQL schema.</summary>
    private sealed class ChildNode : IDisposable
    {
        private readonly ChildProcess _process;
        private long _applied;

        private ChildNode(EmbeddedKafka kafka, string group, int partitions, string schema, int commitIntervalMs)
            => _process = ChildProcess.Start(
                "Coordinator.Kafka.IngressNode.dll",
                ["akka", kafka.BootstrapServers, group, Topic, partitions.ToString(CultureInfo.InvariantCulture), TestPostgres.ConnectionString, schema, commitIntervalMs.ToString(CultureInfo.InvariantCulture)],
                line =>
                {
                    if (line.StartsWith("applied ", StringComparison.Ordinal))
                    {
                        Volatile.Write(ref _applied, long.Parse(line[8..], CultureInfo.InvariantCulture));
                    }
                });

        public static ChildNode Start(EmbeddedKafka kafka, string group, int partitions, string schema, int commitIntervalMs) => new(kafka, group, partitions, schema, commitIntervalMs);

        public async Task WaitForAppliedAsync(long count)
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref _applied) >= count || _process.HasExited, $"the child node applied {count}", Patience);
            Assert.False(_process.HasExited, $"the child node exited: {_process.Output}");
        }

        public void Kill() => _process.Kill(); // SIGKILL

        public void Dispose() => _process.Dispose();
    }
}
