using System.Diagnostics;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Coordinator.Actors.Persistence;
using Coordinator.Actors.TestKit;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Persistence.Sql.Postgres;
using Npgsql;

namespace Coordinator.Benchmarks.Ingress;

/// <summary>
/// From the broker to persisted entity state with offsets committed: ledger postings on 8
/// partitions over 10,000 keys, through the real Kafka client and the embedded broker, into
/// sharded entities journaling to PostgreSQL (or memory, the upper bound).
/// </summary>
internal static class IngressBenchmarks
{
    private const int Partitions = 8;
    private const int Keys = 10_000;
    private static int _run;

    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var records = quick ? 40_000 : 200_000;

        var figures = new List<Figure>();
        var cpu = new List<CpuSplit>();
        figures.Add(await Harness.MeasureAsync($"Ingress to PostgreSQL, {records:N0} records, 8 partitions, 10k keys, committed", "events/s", true, "≥ 20,000", runs,
            async () =>
            {
                var (rate, split) = await ThroughputAsync(records, postgres: true);
                cpu.Add(split);
                return rate;
            }));
        figures.Add(await Harness.MeasureAsync($"Ingress to the memory journal (upper bound), {records:N0} records", "events/s", true, "report", runs,
            async () => (await ThroughputAsync(records, postgres: false)).Rate));
        var processing = new List<double>();
        figures.Add(await Harness.MeasureAsync("Ingress to PostgreSQL, p99 end-to-end latency at 5,000 events/s (entities active)", "ms", false, "≤ 50 ms", runs,
            async () =>
            {
                var (endToEnd, coordinator) = await LatencyAsync(rate: 5_000, seconds: quick ? 4 : 10);
                processing.Add(coordinator);
                return endToEnd;
            }));
        processing.Sort();
        figures.Add(new Figure("… of which the coordinator's share (read by the ingress → journaled), p99", "ms", processing[processing.Count / 2], processing[0], false, "report"));
        figures.Add(await Harness.MeasureAsync("The embedded broker alone, produce → consume p99 at 5,000 records/s", "ms", false, "report", runs,
            () => Task.FromResult(RawKafkaLatency())));

        var median = cpu.OrderBy(c => c.Total).ElementAt(cpu.Count / 2);
        Console.Error.WriteLine($"Where the CPU goes (PostgreSQL run, per 1,000 events): {median}");
        figures.Add(new Figure("CPU per 1,000 events: ingress thread (consume, decode, dispatch)", "ms", median.IngressThread, median.IngressThread, false, "report"));
        figures.Add(new Figure("CPU per 1,000 events: rest of the coordinator (actors, serialisation, journal writer, Npgsql)", "ms", median.Coordinator - median.IngressThread, median.Coordinator - median.IngressThread, false, "report"));
        figures.Add(new Figure("CPU per 1,000 events: PostgreSQL server", "ms", median.Postgres, median.Postgres, false, "report"));
        return figures;
    }

    /// <summary>The old runtime's ingress (<see cref="KafkaIngress"/>): records/s from all partitions assigned to committed to the end, and the CPU split per 1,000 events.</summary>
    internal static async Task<(double Rate, CpuSplit Cpu)> ThroughputAsync(int records, bool postgres)
    {
        using var kafka = new EmbeddedKafka();
        var topic = "ledger";
        kafka.CreateTopic(topic, Partitions);
        using (var producer = Ledger.Producer(kafka, lingerMs: 5))
        {
            for (var n = 0; n < records; n++)
            {
                Publish(producer, topic, n);
            }

            producer.Flush(TimeSpan.FromMinutes(2));
        }

        await using var stores = await StoresAsync(postgres);
        await using var node = await LedgerNode.StartAsync(kafka.BootstrapServers, "bench", topic, Partitions, stores.Journal, stores.Snapshots, new MemoryDeadLetterStore());
        await Eventually.TrueAsync(() => node.Ingress.Assignment.Count == Partitions, "all partitions assigned", TimeSpan.FromSeconds(60));
        var before = CpuSplit.Read();
        var start = Stopwatch.GetTimestamp();
        await Eventually.TrueAsync(() => node.Metrics.Applied == records, $"{records} applied", TimeSpan.FromMinutes(10));
        await Ledger.WaitCommittedToEndAsync(kafka, "bench", topic, Partitions, TimeSpan.FromMinutes(1));
        var seconds = Harness.Seconds(start);
        var split = CpuSplit.Read() - before;
        return (records / seconds, split.Per(records / 1_000.0));
    }

    private static async Task<(double EndToEnd, double Coordinator)> LatencyAsync(int rate, int seconds)
    {
        using var kafka = new EmbeddedKafka();
        var topic = "ledger";
        kafka.CreateTopic(topic, Partitions);
        await using var stores = await StoresAsync(postgres: true);
        await using var node = await LedgerNode.StartAsync(kafka.BootstrapServers, "latency", topic, Partitions, stores.Journal, stores.Snapshots, new MemoryDeadLetterStore());
        await Eventually.TrueAsync(() => node.Ingress.Assignment.Count == Partitions, "all partitions assigned", TimeSpan.FromSeconds(60));

        // Steady state: every ledger has recovered (a cold start's recoveries are measured by the
        // throughput runs), and the producer has its metadata and producer id (a fresh idempotent
        // producer holds its first records until it has them).
        using var producer = Ledger.Producer(kafka, lingerMs: 0);
        for (var n = 0; n < Keys; n++)
        {
            Publish(producer, topic, n);
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
        PublishPaced(producer, topic, Keys, total, rate);

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

    /// <summary>The embedded broker alone: a plain producer and consumer at 5,000 records/s, no coordinator.</summary>
    private static double RawKafkaLatency()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("raw", Partitions);
        var lat = new List<double>();
        var total = 20_000;
        using var joined = new ManualResetEventSlim();
        var consumerThread = new Thread(() =>
        {
            using var c = new ConsumerBuilder<string, byte[]>(new ConsumerConfig(new Dictionary<string, string>(EmbeddedKafka.ConsumerSettings))
            {
                BootstrapServers = kafka.BootstrapServers,
                GroupId = "raw",
                AutoOffsetReset = AutoOffsetReset.Latest,
            }).Build();
            c.Subscribe("raw");
            while (lat.Count < total)
            {
                if (c.Consume(100) is { Message: not null } r)
                {
                    if (r.Message.Key == "warm")
                    {
                        joined.Set();
                    }
                    else
                    {
                        lat.Add((DateTime.UtcNow - r.Message.Timestamp.UtcDateTime).TotalMilliseconds);
                    }
                }
            }
        });
        consumerThread.Start();
        using (var producer = Ledger.Producer(kafka, lingerMs: 0))
        {
            // Measure the steady state: keep a warm-up record going until the consumer has joined and read one.
            while (!joined.IsSet)
            {
                producer.Produce("raw", new Message<string, byte[]> { Key = "warm", Value = [] });
                joined.Wait(200);
            }

            PublishPaced(producer, "raw", 0, total, 5_000);
        }

        consumerThread.Join();
        return Percentiles(lat);
    }

    internal static double Percentiles(List<double> values)
    {
        values.Sort();
        Console.Error.Write($" [p50 {values[values.Count / 2]:N1} p90 {values[(int)(values.Count * 0.9)]:N1} max {values[^1]:N1} ms]");
        return values[(int)Math.Ceiling(values.Count * 0.99) - 1];
    }

    /// <summary>Publishes <paramref name="total"/> records at <paramref name="rate"/> per second: each millisecond tops up to rate × elapsed.</summary>
    internal static void PublishPaced(IProducer<string, byte[]> producer, string topic, int first, int total, int rate)
    {
        var start = Stopwatch.GetTimestamp();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate));
            while (sent < due)
            {
                Publish(producer, topic, first + sent++);
            }

            Thread.Sleep(1);
        }

        producer.Flush(TimeSpan.FromMinutes(1));
    }

    private static void Publish(IProducer<string, byte[]> producer, string topic, int n)
        => producer.Produce(topic, new Message<string, byte[]> { Key = $"acct-{n % Keys}", Value = Ledger.Envelope($"e-{n}", n + 1) });

    private static async Task<BenchStores> StoresAsync(bool postgres)
    {
        if (!postgres)
        {
            return new BenchStores(new MemoryJournalStore(), new MemorySnapshotStore(), null, null);
        }

        var dataSource = NpgsqlDataSource.Create(TestPostgres.ConnectionString);
        var options = new PostgresOptions { Schema = $"ingress_bench_{Environment.ProcessId}_{Interlocked.Increment(ref _run)}" };
        var journal = new PostgresJournalStore(dataSource, options);
        await journal.InitializeAsync();
        return new BenchStores(journal, new PostgresSnapshotStore(dataSource, options), dataSource, options.Schema);
    }

    private sealed record BenchStores(IJournalStore Journal, ISnapshotStore Snapshots, NpgsqlDataSource? DataSource, string? Schema) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (DataSource is not null)
            {
                await using (var drop = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE"))
                {
                    await drop.ExecuteNonQueryAsync();
                }

                await DataSource.DisposeAsync();
            }
        }
    }

    /// <summary>CPU time (ms) of the ingress thread, this whole process, and every PostgreSQL server process, from /proc.</summary>
    internal readonly record struct CpuSplit(double IngressThread, double Coordinator, double Postgres)
    {
        private static readonly double TickMs = 1000.0 / 100; // USER_HZ is 100 on Linux

        public double Total => Coordinator + Postgres;

        public static CpuSplit Read()
        {
            double ingress = 0;
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("ingress", StringComparison.Ordinal))
                {
                    ingress += Ticks(Path.Combine(task, "stat"));
                }
            }

            double postgres = 0;
            foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(process, "comm")).Trim() == "postgres")
                    {
                        postgres += Ticks(Path.Combine(process, "stat"));
                    }
                }
                catch (IOException)
                {
                    // the process ended meanwhile
                }
            }

            return new CpuSplit(ingress * TickMs, Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, postgres * TickMs);
        }

        public static CpuSplit operator -(CpuSplit a, CpuSplit b) => new(a.IngressThread - b.IngressThread, a.Coordinator - b.Coordinator, a.Postgres - b.Postgres);

        public CpuSplit Per(double thousands) => new(IngressThread / thousands, Coordinator / thousands, Postgres / thousands);

        public override string ToString() => $"ingress thread {IngressThread:N1} ms, whole coordinator {Coordinator:N1} ms, PostgreSQL {Postgres:N1} ms";

        private static double Ticks(string statPath)
        {
            // Fields after the parenthesised command: utime and stime are the 12th and 13th.
            var stat = File.ReadAllText(statPath);
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return double.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
