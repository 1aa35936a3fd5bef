using System.Diagnostics;
using System.Text.Json.Serialization;
using Coordinator.Actors;
using Coordinator.Actors.Persistence;
using Coordinator.Actors.TestKit;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Npgsql;

namespace Coordinator.Benchmarks.Persistence;

public sealed record Incremented(long By, long SentTicks);

[JsonSerializable(typeof(Incremented))]
internal sealed partial class BenchEventsContext : JsonSerializerContext;

/// <summary>
/// Persistence figures: persisted events per second with many actors (memory, SQLite, PostgreSQL),
/// persist latency at half the measured load, and recovery speed of one long-lived entity.
/// </summary>
internal static class PersistenceBenchmarks
{
    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var figures = new List<Figure>();
        var events = quick ? 50 : 200;
        figures.Add(await Harness.MeasureAsync("memory journal, 1,000 actors × 200 events, Persist", "events/s", true, "Akka.NET 72,000/s", runs,
            () => ThroughputAsync(Memory(), 1_000, events, async: false)));
        figures.Add(await Harness.MeasureAsync("memory journal, 1,000 actors × 200 events, PersistAsync", "events/s", true, "Akka.NET 126,000/s", runs,
            () => ThroughputAsync(Memory(), 1_000, events, async: true)));

        var pgRate = await Harness.MeasureAsync("PostgreSQL, 400 actors persisting concurrently", "events/s", true, "≥ 30,000/s (Akka.Persistence.Sql 14,279/s)", runs,
            () => ThroughputAsync(Postgres(), 400, quick ? 25 : 100, async: false));
        figures.Add(pgRate);
        figures.Add(await Harness.MeasureAsync("PostgreSQL, p99 persist latency at 15,000 events/s (half the 30,000 bar)", "ms", false, "≤ 20 ms", runs,
            () => LatencyAsync(Postgres(), 400, 15_000, TimeSpan.FromSeconds(quick ? 2 : 5))));
        figures.Add(await Harness.MeasureAsync($"PostgreSQL, p99 persist latency at half the measured maximum ({pgRate.Median / 2:N0} events/s)", "ms", false, "≤ 20 ms", runs,
            () => LatencyAsync(Postgres(), 400, pgRate.Median / 2, TimeSpan.FromSeconds(quick ? 2 : 5))));

        figures.Add(await Harness.MeasureAsync("SQLite file, 400 actors persisting concurrently", "events/s", true, "report", runs,
            () => ThroughputAsync(Sqlite(), 400, quick ? 25 : 100, async: false)));
        figures.Add(await Harness.MeasureAsync("SQLite file, p99 persist latency at 15,000 events/s", "ms", false, "report", runs,
            () => LatencyAsync(Sqlite(), 400, 15_000, TimeSpan.FromSeconds(quick ? 2 : 5))));

        var recoverEvents = quick ? 20_000 : 100_000;
        figures.Add(await Harness.MeasureAsync("recovery of one entity with 100,000 events, PostgreSQL", "events/s", true, "≥ 150,000/s (Akka.Persistence.Sql 115,000/s)", runs,
            () => RecoveryAsync(Postgres(), recoverEvents)));
        figures.Add(await Harness.MeasureAsync("recovery of one entity with 100,000 events, memory", "events/s", true, "Akka.NET 750,000/s", runs,
            () => RecoveryAsync(Memory(), recoverEvents)));
        figures.Add(await Harness.MeasureAsync("recovery of one entity with 100,000 events, SQLite", "events/s", true, "report", runs,
            () => RecoveryAsync(Sqlite(), recoverEvents)));
        await DropBenchmarkSchemasAsync();
        return figures;
    }

    private static EventTypeRegistry Registry() => new EventTypeRegistry().Register("V1.Incremented", BenchEventsContext.Default.Incremented);

    private static (IJournalStore, ISnapshotStore) Memory() => (new MemoryJournalStore(), new MemorySnapshotStore());

    private static int _schemas;
    private static NpgsqlDataSource? _postgres;

    private static (IJournalStore, ISnapshotStore) Postgres()
    {
        _postgres ??= NpgsqlDataSource.Create(TestPostgres.ConnectionString);
        var options = new PostgresOptions { Schema = $"bench_{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}" };
        return (new PostgresJournalStore(_postgres, options), new PostgresSnapshotStore(_postgres, options));
    }

    private static (IJournalStore, ISnapshotStore) Sqlite()
    {
        var storage = new SqliteStorage(Path.Combine(Path.GetTempPath(), $"coordinator-bench-{Environment.ProcessId}-{Interlocked.Increment(ref _schemas)}.db"));
        return (new SqliteJournalStore(storage), new SqliteSnapshotStore(storage));
    }

    /// <summary>Leaves the benchmark database as it found it.</summary>
    private static async Task DropBenchmarkSchemasAsync()
    {
        if (_postgres is null)
        {
            return;
        }

        await using var command = _postgres.CreateCommand($"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_{Environment.ProcessId}\\_%'");
        var schemas = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                schemas.Add(reader.GetString(0));
            }
        }

        foreach (var schema in schemas)
        {
            await using var drop = _postgres.CreateCommand($"DROP SCHEMA {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<ActorSystem> SystemWith((IJournalStore Journal, ISnapshotStore Snapshots) stores)
    {
        var system = ActorSystem.Create("persistence-bench");
        await PersistenceExtension.StartAsync(system, new PersistenceSettings { Journal = stores.Journal, SnapshotStore = stores.Snapshots, Registry = Registry(), MaxPendingEvents = 1_000_000 });
        return system;
    }

    /// <summary>Every actor gets all its commands at once; each command persists one event.</summary>
    private static async Task<double> ThroughputAsync((IJournalStore, ISnapshotStore) stores, int actors, int eventsPerActor, bool async)
    {
        await using var system = await SystemWith(stores);
        using var done = new CountdownEvent(actors);
        var refs = Enumerable.Range(0, actors).Select(i => system.ActorOf(Props.Create(() => new Counter($"counter-{i}", eventsPerActor, async, done, null)))).ToList();
        await WarmUpAsync(refs);

        var start = Stopwatch.GetTimestamp();
        foreach (var actor in refs)
        {
            for (var i = 0; i < eventsPerActor; i++)
            {
                actor.Tell(Counter.Increment.Instance, null);
            }
        }

        done.Wait();
        return actors * (double)eventsPerActor / Harness.Seconds(start);
    }

    /// <summary>Commands paced at <paramref name="rate"/> across the actors; latency from send to durable handler.</summary>
    private static async Task<double> LatencyAsync((IJournalStore, ISnapshotStore) stores, int actors, double rate, TimeSpan duration)
    {
        await using var system = await SystemWith(stores);
        var latencies = new LatencyRecorder((int)(rate * duration.TotalSeconds * 1.2) + 1_000);
        var refs = Enumerable.Range(0, actors).Select(i => system.ActorOf(Props.Create(() => new Counter($"latency-{i}", int.MaxValue, false, null, latencies)))).ToList();
        await WarmUpAsync(refs);

        var total = (long)(rate * duration.TotalSeconds);

        // Pace from a dedicated thread: sleeping on a thread-pool thread would starve the pool
        // that runs the actors and the journal writer, and measure the harness instead.
        var pacer = new Thread(() =>
        {
            var start = Stopwatch.GetTimestamp();
            for (long sent = 0; sent < total;)
            {
                var due = (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate);
                for (; sent < Math.Min(due, total); sent++)
                {
                    refs[(int)(sent % actors)].Tell(new Counter.Timed(Stopwatch.GetTimestamp()), null);
                }

                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "latency-pacer" };
        pacer.Start();
        pacer.Join();

        while (latencies.Count < total)
        {
            await Task.Delay(10);
        }

        return latencies.Percentile(0.99);
    }

    private static async Task<double> RecoveryAsync((IJournalStore Journal, ISnapshotStore Snapshots) stores, int events)
    {
        await using var system = await SystemWith(stores);
        var registry = Registry();
        const string pid = "long-lived";
        var now = DateTimeOffset.UnixEpoch;
        for (var from = 1; from <= events; from += 1_000)
        {
            var batch = Enumerable.Range(from, Math.Min(1_000, events - from + 1))
                .Select(i => new EventToWrite(pid, i, registry.Serialize(new Incremented(1, 0)), [], new EventMetadata(now, "bench", null, null, Coordinator.Actors.Persistence.Actor.System)))
                .ToList();
            await stores.Journal.WriteAsync(batch);
        }

        var recovered = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = Stopwatch.GetTimestamp();
        system.ActorOf(Props.Create(() => new Recovering(pid, recovered)));
        var count = await recovered.Task;
        var seconds = Harness.Seconds(start);
        return count != events ? throw new InvalidOperationException($"recovered {count} of {events}") : events / seconds;
    }

    private static async Task WarmUpAsync(List<IActorRef> refs)
    {
        foreach (var actor in refs)
        {
            await actor.Ask<long>(Counter.Ping.Instance, TimeSpan.FromSeconds(30));
        }
    }

    private sealed class Counter(string persistenceId, int target, bool useAsync, CountdownEvent? done, LatencyRecorder? latencies) : PersistentActor
    {
        private long _total;
        private int _persisted;

        public override string PersistenceId => persistenceId;

        protected override bool ReceiveRecover(object message)
        {
            if (message is Incremented e)
            {
                _total += e.By;
            }

            return true;
        }

        protected override bool ReceiveCommand(object message)
        {
            switch (message)
            {
                case Increment when useAsync:
                    PersistAsync(new Incremented(1, 0), Applied);
                    return true;
                case Increment:
                    Persist(new Incremented(1, 0), Applied);
                    return true;
                case Timed timed:
                    Persist(new Incremented(1, timed.SentTicks), e =>
                    {
                        _total += e.By;
                        latencies!.Record(Stopwatch.GetElapsedTime(e.SentTicks).TotalMilliseconds);
                    });
                    return true;
                case Ping:
                    Sender.Tell(_total);
                    return true;
                default:
                    return false;
            }
        }

        private void Applied(Incremented e)
        {
            _total += e.By;
            if (++_persisted == target)
            {
                done?.Signal();
            }
        }

        public sealed class Increment
        {
            public static readonly Increment Instance = new();
        }

        public sealed class Ping
        {
            public static readonly Ping Instance = new();
        }

        public sealed record Timed(long SentTicks);
    }

    private sealed class Recovering(string persistenceId, TaskCompletionSource<long> recovered) : PersistentActor
    {
        private long _count;

        public override string PersistenceId => persistenceId;

        protected override bool ReceiveRecover(object message)
        {
            if (message is Incremented)
            {
                _count++;
            }
            else if (message is RecoveryCompleted)
            {
                recovered.TrySetResult(_count);
            }

            return true;
        }

        protected override bool ReceiveCommand(object message) => false;
    }

    private sealed class LatencyRecorder(int capacity)
    {
        private readonly double[] _values = new double[capacity];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Record(double milliseconds)
        {
            var i = Interlocked.Increment(ref _count) - 1;
            if (i < _values.Length)
            {
                _values[i] = milliseconds;
            }
        }

        public double Percentile(double p)
        {
            var values = _values.AsSpan(0, Math.Min(Count, _values.Length)).ToArray();
            Array.Sort(values);
            return values.Length == 0 ? double.NaN : values[(int)Math.Min(values.Length - 1, Math.Ceiling(p * values.Length) - 1)];
        }
    }
}
