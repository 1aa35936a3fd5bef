using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Confluent.Kafka;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.TestKit;
using Npgsql;

namespace Coordinator.Benchmarks.ShardedIngress;

/// <summary>
/// The Kafka ingress on Akka.NET (<see cref="KafkaShardingIngress"/>): from the embedded broker
/// to persisted entity state with offsets committed, on a one-node Akka cluster, ledger
/// postings on 8 partitions over 10,000 keys into Akka.Cluster.Sharding entities journaling
/// through our Akka.Persistence plugin on PostgreSQL (or Akka's in-memory journal, the upper
/// bound; or an entity that journals nothing, to separate the costs). Then p99 end-to-end latency at 5,000 events/s, and the
/// memory of 1,000,000 distinct keys with the active-entity cap at its default and small.
/// </summary>
internal static class ShardedIngressBenchmarks
{
    private const int Partitions = 8;
    private const int Keys = 10_000;
    private const string Topic = "ledger";
    private static int _run;

    private enum Store
    {
        Postgres,
        Memory,
        NoJournal,
    }

    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var records = quick ? 40_000 : 200_000;
        var figures = new List<Figure>();
        var cpu = new List<CpuSplit>();
        var fromAssigned = new List<double>();
        var newPg = await Harness.MeasureAsync($"Akka.NET sharded ingress → PostgreSQL (our plugin), {records:N0} records, 8 partitions, 10k keys, committed, from ingress start", "events/s", true, "≥ 40,000", runs,
            async () =>
            {
                var result = await ThroughputAsync(records, Store.Postgres);
                cpu.Add(result.Cpu);
                fromAssigned.Add(result.FromAssigned);
                return result.Rate;
            });
        figures.Add(newPg);
        if (!double.IsNaN(newPg.Median))
        {
            fromAssigned.Sort();
            figures.Add(new Figure("… the same, clocked from all 8 partitions assigned", "events/s", fromAssigned[fromAssigned.Count / 2], fromAssigned[^1], true, "report"));
        }

        var memoryCpu = new List<CpuSplit>();
        figures.Add(await Harness.MeasureAsync($"Akka.NET sharded ingress → Akka's in-memory journal (upper bound), {records:N0} records", "events/s", true, "report", runs,
            async () =>
            {
                var result = await ThroughputAsync(records, Store.Memory);
                memoryCpu.Add(result.Cpu);
                return result.Rate;
            }));
        var noJournalCpu = new List<CpuSplit>();
        figures.Add(await Harness.MeasureAsync($"Akka.NET sharded ingress → an entity that journals nothing (ingress + sharding alone), {records:N0} records", "events/s", true, "report", runs,
            async () =>
            {
                var result = await ThroughputAsync(records, Store.NoJournal);
                noJournalCpu.Add(result.Cpu);
                return result.Rate;
            }));

        var processing = new List<double>();
        figures.Add(await Harness.MeasureAsync("Akka.NET sharded ingress → PostgreSQL, p99 end-to-end latency at 5,000 events/s (entities active)", "ms", false, "≤ 50 ms", runs,
            async () =>
            {
                var (endToEnd, coordinator) = await LatencyAsync(rate: 5_000, seconds: quick ? 4 : 10);
                processing.Add(coordinator);
                return endToEnd;
            }));
        if (processing.Count > 0)
        {
            processing.Sort();
            figures.Add(new Figure("… of which the coordinator's share (read by the ingress → journaled), p99", "ms", processing[processing.Count / 2], processing[0], false, "report"));
        }

        // Where the CPU goes: this process's CPU (all threads, from node start to committed) and
        // PostgreSQL's, per 1,000 events, medians; the variants separate journal and recovery costs.
        AddCpu(figures, "Akka.NET ingress → PostgreSQL", cpu, postgres: true);
        AddCpu(figures, "Akka.NET ingress → in-memory journal", memoryCpu, postgres: false);
        AddCpu(figures, "Akka.NET ingress → entity journaling nothing", noJournalCpu, postgres: false);
        return figures;
    }

    /// <summary>The memory budget: 1,000,000 distinct keys (100,000 with --quick, or <paramref name="keys"/>) with the active-entity cap at its default and small (<c>sharded-ingress-memory</c>).</summary>
    public static async Task<List<Figure>> MemoryAllAsync(bool quick, int? keys)
    {
        var figures = new List<Figure>();
        // Memory: one run per cap, no warm-up (a warm-up would only repeat the same million entities).
        var distinct = keys ?? (quick ? 100_000 : 1_000_000);
        foreach (var cap in new[] { 100_000, 10_000 })
        {
            var name = $"Akka.NET sharded ingress, {distinct:N0} distinct keys, in-memory journal, MaxActiveEntities {cap:N0}: peak GC heap";
            if (Harness.Filter is not null && !name.Contains(Harness.Filter, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            Console.Error.Write(name);
            Harness.Collect();
            var peaks = await MemoryAsync(distinct, cap);
            Console.Error.WriteLine();
            figures.Add(new Figure(name, "MB", peaks.PeakHeapMb, peaks.PeakHeapMb, false, "report"));
            figures.Add(new Figure($"… MaxActiveEntities {cap:N0}: peak working set", "MB", peaks.PeakWorkingSetMb, peaks.PeakWorkingSetMb, false, "report"));
            figures.Add(new Figure($"… MaxActiveEntities {cap:N0}: peak active entities", "entities", peaks.PeakActive, peaks.PeakActive, false, "report"));
            figures.Add(new Figure($"… MaxActiveEntities {cap:N0}: GC heap after the whole run, full collection (in-memory journal and active entities retained)", "MB", peaks.RetainedHeapMb, peaks.RetainedHeapMb, false, "report"));
            figures.Add(new Figure($"… MaxActiveEntities {cap:N0}: throughput, node start to all applied", "events/s", peaks.Rate, peaks.Rate, true, "report"));
        }

        return figures;
    }

    private static void AddCpu(List<Figure> figures, string name, List<CpuSplit> splits, bool postgres)
    {
        if (splits.Count < 2)
        {
            return;
        }

        var measured = splits.Skip(1).ToList(); // the first is the warm-up's
        var median = measured.OrderBy(c => c.Total).ElementAt(measured.Count / 2);
        Console.Error.WriteLine($"Where the CPU goes ({name}, per 1,000 events): {median}");
        figures.Add(new Figure($"CPU per 1,000 events, {name}: consume thread", "ms", median.IngressThread, median.IngressThread, false, "report"));
        figures.Add(new Figure($"CPU per 1,000 events, {name}: rest of the coordinator process", "ms", median.Coordinator - median.IngressThread, median.Coordinator - median.IngressThread, false, "report"));
        if (postgres)
        {
            figures.Add(new Figure($"CPU per 1,000 events, {name}: PostgreSQL server", "ms", median.Postgres, median.Postgres, false, "report"));
        }
    }

    private static async Task<(double Rate, double FromAssigned, CpuSplit Cpu)> ThroughputAsync(int records, Store store)
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, Partitions);
        using (var producer = Ledger.Producer(kafka, lingerMs: 5))
        {
            for (var n = 0; n < records; n++)
            {
                Publish(producer, n);
            }

            producer.Flush(TimeSpan.FromMinutes(2));
        }

        await using var schema = new BenchSchema();
        var acks = new NoJournalEntity.Counter();
        var before = CpuSplit.Read();
        var (gen0, gen1, gen2, allocated) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes());
        var start = Stopwatch.GetTimestamp();
        await using var node = await StartNodeAsync(kafka, "bench", schema, store, entityProps: store == Store.NoJournal ? id => Props.Create(() => new NoJournalEntity(acks)) : null);
        await Eventually.TrueAsync(() => node.Ingress.Assignment.Count == Partitions, "all partitions assigned", TimeSpan.FromSeconds(60));
        var assigned = Stopwatch.GetTimestamp();
        Func<long> applied = store == Store.NoJournal ? () => acks.Value : () => node.Metrics.Applied;
        await Eventually.TrueAsync(() => applied() == records, $"{records} applied", TimeSpan.FromMinutes(10));
        await Ledger.WaitCommittedToEndAsync(kafka, "bench", Topic, Partitions, TimeSpan.FromMinutes(1));
        var end = Stopwatch.GetTimestamp();
        var split = CpuSplit.Read() - before;
        var fromAssigned = records / Stopwatch.GetElapsedTime(assigned, end).TotalSeconds;
        var perThousand = split.Per(records / 1_000.0);
        Console.Error.Write($" [start→assigned {Stopwatch.GetElapsedTime(start, assigned).TotalSeconds:N2} s, from assigned {fromAssigned:N0}/s, per 1,000: {perThousand}; GCs {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, {(GC.GetTotalAllocatedBytes() - allocated) / (double)records:N0} B allocated per record]");
        return (records / Stopwatch.GetElapsedTime(start, end).TotalSeconds, fromAssigned, perThousand);
    }

    private static async Task<(double EndToEnd, double Coordinator)> LatencyAsync(int rate, int seconds)
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, Partitions);
        await using var schema = new BenchSchema();
        await using var node = await StartNodeAsync(kafka, "latency", schema, Store.Postgres);
        await Eventually.TrueAsync(() => node.Ingress.Assignment.Count == Partitions, "all partitions assigned", TimeSpan.FromSeconds(60));

        // Steady state, as for the old runtime's row: every ledger has recovered, and the producer
        // has its metadata and producer id.
        using var producer = Ledger.Producer(kafka, lingerMs: 0);
        for (var n = 0; n < Keys; n++)
        {
            Publish(producer, n);
        }

        producer.Flush(TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(() => node.Metrics.Applied == Keys, "every ledger warmed up", TimeSpan.FromMinutes(2));

        var latencies = new List<double>();
        var processing = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngressMetrics.MeterName && instrument.Name is "coordinator.ingress.latency" or "coordinator.ingress.processing")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            var list = instrument.Name == "coordinator.ingress.latency" ? latencies : processing;
            lock (list)
            {
                list.Add(value);
            }
        });
        listener.Start();

        var total = rate * seconds;
        PublishPaced(producer, Keys, total, rate);
        await Eventually.TrueAsync(() => node.Metrics.Applied == Keys + total, $"{total} applied", TimeSpan.FromMinutes(2));
        listener.Dispose();
        lock (latencies)
        {
            lock (processing)
            {
                return (Percentiles(latencies), Percentiles(processing));
            }
        }
    }

    /// <summary>
    /// <paramref name="keys"/> records, one per distinct key, through one node on Akka's
    /// in-memory journal (which keeps every event on the GC heap: the small cap's peak is mostly
    /// that journal), with the active-entity cap at <paramref name="cap"/> and idle passivation at
    /// its default; heap and working set sampled every 50 ms.
    /// </summary>
    private static async Task<MemoryPeaks> MemoryAsync(int keys, int cap)
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Topic, Partitions);
        using (var producer = Ledger.Producer(kafka, lingerMs: 5))
        {
            for (var n = 0; n < keys; n++)
            {
                producer.Produce(Topic, new Message<string, byte[]> { Key = $"key-{n}", Value = Ledger.Envelope($"e-{n}", 1) });
            }

            producer.Flush(TimeSpan.FromMinutes(5));
        }

        Harness.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        await using var schema = new BenchSchema();
        long peakHeap = 0, peakWorkingSet = 0, peakActive = 0;
        using var sampling = new CancellationTokenSource();
        ClusterLedgerNode? running = null;
        var sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                if (running is { } n)
                {
                    peakActive = Math.Max(peakActive, n.Extension.Active.Count);
                }

                await Task.Delay(50).ConfigureAwait(false);
            }
        });
        var start = Stopwatch.GetTimestamp();
        await using var node = await StartNodeAsync(kafka, "memory", schema, Store.Memory, sharding: new RecordShardingSettings { MaxActiveEntities = cap });
        running = node;
        await Eventually.TrueAsync(() => node.Metrics.Applied == keys, $"{keys} applied", TimeSpan.FromMinutes(10));
        var rate = keys / Harness.Seconds(start);
        await sampling.CancelAsync();
        await sampler;
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var mb = 1024.0 * 1024.0;
        var peaks = new MemoryPeaks(peakHeap / mb, peakWorkingSet / mb, peakActive, baseline / mb, retained / mb, rate);
        Console.Error.Write($" [{peaks}, evicted {node.Extension.Active.Evicted:N0}]");
        return peaks;
    }

    private static Task<ClusterLedgerNode> StartNodeAsync(EmbeddedKafka kafka, string group, BenchSchema schema, Store store, RecordShardingSettings? sharding = null, Func<string, Props>? entityProps = null)
    {
        // serialize-messages off, as in production: the ledger node's tests serialize every local
        // message to prove the protocol crosses nodes, which is not what one node pays.
        var options = new ClusterNodeOptions(Topic, Partitions, new JournalLocation(JournalDatabase.PostgreSql, TestPostgres.ConnectionString, schema.Name))
        {
            InMemoryJournal = store != Store.Postgres,
            Hocon = "akka.actor.serialize-messages = off\n" + Environment.GetEnvironmentVariable("COORDINATOR_BENCH_HOCON"),
        };
        return ClusterLedgerNode.StartAsync(options, Ledger.ConsumerOptions(kafka.BootstrapServers, group, Topic), new MemoryDeadLetterStore(), sharding: sharding, entityProps: entityProps);
    }

    private static void Publish(IProducer<string, byte[]> producer, int n)
        => producer.Produce(Topic, new Message<string, byte[]> { Key = $"acct-{n % Keys}", Value = Ledger.Envelope($"e-{n}", n + 1) });

    private static double Percentiles(List<double> values)
    {
        values.Sort();
        Console.Error.Write($" [p50 {values[values.Count / 2]:N1} p90 {values[(int)(values.Count * 0.9)]:N1} max {values[^1]:N1} ms]");
        return values[(int)Math.Ceiling(values.Count * 0.99) - 1];
    }

    /// <summary>Publishes <paramref name="total"/> records from number <paramref name="first"/> at <paramref name="rate"/> per second: each millisecond tops up to rate × elapsed.</summary>
    private static void PublishPaced(IProducer<string, byte[]> producer, int first, int total, int rate)
    {
        var start = Stopwatch.GetTimestamp();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate));
            while (sent < due)
            {
                Publish(producer, first + sent++);
            }

            Thread.Sleep(1);
        }

        producer.Flush(TimeSpan.FromMinutes(1));
    }

    private readonly record struct MemoryPeaks(double PeakHeapMb, double PeakWorkingSetMb, long PeakActive, double BaselineHeapMb, double RetainedHeapMb, double Rate)
    {
        public override string ToString() => $"peak heap {PeakHeapMb:N0} MB, peak working set {PeakWorkingSetMb:N0} MB, peak active {PeakActive:N0}, heap before {BaselineHeapMb:N0} MB, retained after (full GC, minus before) {RetainedHeapMb:N0} MB, {Rate:N0} events/s";
    }

    /// <summary>A fresh PostgreSQL schema for our plugin (it creates its tables on start), dropped afterwards.</summary>
    private sealed class BenchSchema : IAsyncDisposable
    {
        public string Name { get; } = $"sharded_bench_{Environment.ProcessId}_{Interlocked.Increment(ref _run)}";

        public async ValueTask DisposeAsync()
        {
            await using var dataSource = NpgsqlDataSource.Create(TestPostgres.ConnectionString);
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {Name} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>A record entity that journals nothing: it acknowledges each delivery at once (the ingress and sharding's cost alone).</summary>
    private sealed class NoJournalEntity : UntypedActor
    {
        private readonly Counter _acks;
        private readonly RecordIngress _ingress = RecordIngress.Get(Context.System);

        public NoJournalEntity(Counter acks) => _acks = acks;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case RecordDelivery d:
                    Sender.Tell(new RecordAck(d.Topic, d.Partition, d.Offset, RecordOutcome.Applied, null, _ingress.Address));
                    Interlocked.Increment(ref _acks.Value);
                    break;
                case StopRecordEntity or PassivateRecordEntity:
                    Context.Stop(Self);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }

        public sealed class Counter
        {
#pragma warning disable SA1401, CA1051 // a plain field for Interlocked
            public long Value;
#pragma warning restore SA1401, CA1051
        }
    }
}
