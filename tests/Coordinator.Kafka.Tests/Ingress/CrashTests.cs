using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;

namespace Coordinator.Kafka.Tests.Ingress;

/// <summary>
/// Nodes that die for real: a separate process consuming into PostgreSQL is killed with SIGKILL
/// (no shutdown, no final commit, no leaving the group) mid-stream.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class CrashTests
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
        // Far more than the node needs to reach 1,000 before it is killed: the kill lands mid-stream
        // (with 3,000 the child once journaled them all before the test's poll saw 1,000).
        work.Publish(producer, 0, 20_000);

        // The first node never commits (interval one hour) and is killed mid-stream.
        using (var child = await ChildNode.StartAsync(kafka, "restart", 4, stores.Schema!, commitIntervalMs: 3_600_000))
        {
            await child.WaitForAppliedAsync(1_000);
            child.Kill();
        }

        var journaledByTheDead = (await Ledger.ReadAppliedAsync(stores.Journal)).Count;
        Assert.InRange(journaledByTheDead, 1_000, 19_999);

        work.Publish(producer, 20_000, 1_000);
        await using var second = await LedgerNode.StartAsync(kafka.BootstrapServers, "restart", Topic, 4, stores.Journal, stores.Snapshots, stores.DeadLetters);
        await Eventually.TrueAsync(() => second.Metrics.Applied + second.Metrics.DuplicatesRedelivered == 21_000, "all 21,000 records applied or dropped", Patience);

        // Everything the dead node journaled came back from Kafka and was recognised, once each.
        Assert.Equal(journaledByTheDead, second.Metrics.DuplicatesRedelivered);
        await work.AssertExactAsync(second);
        await work.AssertJournalExactAsync(stores.Journal);
        await Ledger.WaitCommittedToEndAsync(kafka, "restart", Topic, 4, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task TwoNodesSplitThePartitions_SigkillOne_TheOtherFinishes_LosingAndDoublingNothing()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, partitions: 8);
        await using var stores = Stores.Create("postgres");
        await stores.Journal.InitializeAsync();
        var work = new Workload(Topic, keys: 1_000);
        using var producer = Ledger.Producer(kafka);

        using var child = await ChildNode.StartAsync(kafka, "pair", 8, stores.Schema!);
        await child.WaitForAssignedAsync(8);
        await using var survivor = await LedgerNode.StartAsync(kafka.BootstrapServers, "pair", Topic, 8, stores.Journal, stores.Snapshots, stores.DeadLetters);
        await Eventually.TrueAsync(() => survivor.Ingress.Assignment.Count == 4, "the survivor owns 4 partitions", Patience);
        await child.WaitForAssignedAsync(4);

        work.Publish(producer, 0, 5_000);
        await child.WaitForAppliedAsync(500);
        child.Kill(); // mid-stream: it has records in flight and offsets not yet committed
        work.Publish(producer, 5_000, 5_000);

        // After the session timeout the survivor owns everything and finishes.
        await Eventually.TrueAsync(() => survivor.Ingress.Assignment.Count == 8, "the survivor took over all 8 partitions", Patience);
        await Ledger.WaitCommittedToEndAsync(kafka, "pair", Topic, 8, TimeSpan.FromSeconds(30));
        await work.AssertJournalExactAsync(stores.Journal);
        await work.AssertExactAsync(survivor);
    }

    /// <summary>An IngressNode process on the same broker and PostgreSQL schema.</summary>
    private sealed class ChildNode : IDisposable
    {
        private readonly ChildProcess _process;
        private int _assigned = -1;
        private long _applied;

        private ChildNode(EmbeddedKafka kafka, string group, int partitions, string schema, int commitIntervalMs)
            => _process = ChildProcess.Start(
                "Coordinator.Kafka.IngressNode.dll",
                [kafka.BootstrapServers, group, Topic, partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), TestPostgres.ConnectionString, schema, commitIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                line =>
                {
                    if (line.StartsWith("assigned ", StringComparison.Ordinal))
                    {
                        Volatile.Write(ref _assigned, int.Parse(line[9..], System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else if (line.StartsWith("applied ", StringComparison.Ordinal))
                    {
                        Volatile.Write(ref _applied, long.Parse(line[8..], System.Globalization.CultureInfo.InvariantCulture));
                    }
                });

        public static Task<ChildNode> StartAsync(EmbeddedKafka kafka, string group, int partitions, string schema, int commitIntervalMs = 200)
            => Task.FromResult(new ChildNode(kafka, group, partitions, schema, commitIntervalMs));

        public async Task WaitForAssignedAsync(int count)
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref _assigned) == count || _process.HasExited, $"the child node owns {count} partitions", Patience);
            Assert.False(_process.HasExited, $"the child node exited: {_process.Output}");
        }

        public async Task WaitForAppliedAsync(long count)
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref _applied) >= count || _process.HasExited, $"the child node applied {count}", Patience);
            Assert.False(_process.HasExited, $"the child node exited: {_process.Output}");
        }

        public void Kill() => _process.Kill(); // SIGKILL

        public void Dispose() => _process.Dispose();
    }
}
