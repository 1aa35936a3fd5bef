using System.Diagnostics;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Serialization;
using Coordinator.TestKit;
using Npgsql;

namespace Coordinator.Benchmarks.AkkaPersistence;

public sealed record Persisted(long Nr, long SentTicks) : ICoordinatorMessage;

[JsonSerializable(typeof(Persisted))]
internal sealed partial class AkkaBenchContext : JsonSerializerContext;

/// <summary>
/// Akka.Persistence side by side, in one run: 400 persistent Akka actors persisting
/// concurrently through our plugin and through Akka.Persistence.Sql (its defaults, and the best
/// setting measured), on PostgreSQL and SQLite, with <c>Persist</c> and <c>PersistAsync</c>; p99
/// persist latency at 30% of our measured maximum; recovery of one entity with 100,000 events;
/// the <c>CurrentAllEvents</c> read rate. Every run starts on a fresh schema or file.
/// </summary>
internal static class AkkaPersistenceBenchmarks
{
    private const int Actors = 400;

    private static int _places;

    private enum Plugin
    {
        Ours,
        AkkaSql,
        AkkaSqlBest,
        AkkaMemory,
    }

    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var figures = new List<Figure>();
        var events = quick ? 25 : 100;
        var pg = JournalDatabase.PostgreSql;
        var sqlite = JournalDatabase.Sqlite;

        var oursPersist = await Harness.MeasureAsync($"Akka, our plugin, PostgreSQL, {Actors} actors × {events}, Persist", "events/s", true, "≥ 5× Akka.Persistence.Sql", runs, () => ThroughputAsync(Plugin.Ours, pg, events, async: false));
        figures.Add(oursPersist);
        var sqlPersist = await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql defaults, PostgreSQL, {Actors} actors × {events}, Persist", "events/s", true, "≈ 4,500/s measured here", runs, () => ThroughputAsync(Plugin.AkkaSql, pg, events, async: false));
        figures.Add(sqlPersist);
        figures.Add(Ratio("ours ÷ Akka.Persistence.Sql, PostgreSQL, Persist", oursPersist, sqlPersist, "≥ 5×"));

        var oursAsync = await Harness.MeasureAsync($"Akka, our plugin, PostgreSQL, {Actors} actors × {events}, PersistAsync", "events/s", true, "report", runs, () => ThroughputAsync(Plugin.Ours, pg, events, async: true));
        figures.Add(oursAsync);
        var sqlAsync = await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql defaults, PostgreSQL, {Actors} actors × {events}, PersistAsync", "events/s", true, "≈ 6,300/s measured here", runs, () => ThroughputAsync(Plugin.AkkaSql, pg, events, async: true));
        figures.Add(sqlAsync);
        var sqlBest = await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql batch-size 1000 parallelism 8, PostgreSQL, {Actors} actors × {events}, PersistAsync", "events/s", true, "≈ 7,300/s measured here", runs, () => ThroughputAsync(Plugin.AkkaSqlBest, pg, events, async: true));
        figures.Add(sqlBest);
        figures.Add(Ratio("ours ÷ Akka.Persistence.Sql at its best, PostgreSQL, PersistAsync", oursAsync, sqlBest, "≥ 5×"));

        var rate = oursPersist.Median * 0.3;
        figures.Add(await Harness.MeasureAsync($"Akka, our plugin, PostgreSQL, p99 persist latency at 30% of the maximum ({rate:N0} events/s)", "ms", false, "≤ 20 ms", runs, () => LatencyAsync(Plugin.Ours, pg, rate, TimeSpan.FromSeconds(quick ? 2 : 5))));
        figures.Add(await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql, PostgreSQL, p99 persist latency at {Math.Min(rate, sqlPersist.Median * 0.3):N0} events/s (30% of its maximum)", "ms", false, "report", runs, () => LatencyAsync(Plugin.AkkaSql, pg, Math.Min(rate, sqlPersist.Median * 0.3), TimeSpan.FromSeconds(quick ? 2 : 5))));

        var oursSqlite = await Harness.MeasureAsync($"Akka, our plugin, SQLite, {Actors} actors × {events}, Persist", "events/s", true, "report", runs, () => ThroughputAsync(Plugin.Ours, sqlite, events, async: false));
        figures.Add(oursSqlite);
        figures.Add(await Harness.MeasureAsync($"Akka, our plugin, SQLite, {Actors} actors × {events}, PersistAsync", "events/s", true, "report", runs, () => ThroughputAsync(Plugin.Ours, sqlite, events, async: true)));
        var sqlSqlite = await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql defaults, SQLite, {Actors} actors × {Math.Min(events, 25)}, Persist", "events/s", true, "a few hundred/s measured here", runs, () => ThroughputAsync(Plugin.AkkaSql, sqlite, Math.Min(events, 25), async: false));
        figures.Add(sqlSqlite);
        figures.Add(Ratio("ours ÷ Akka.Persistence.Sql, SQLite, Persist", oursSqlite, sqlSqlite, "report"));

        var recover = quick ? 20_000 : 100_000;
        figures.Add(await Harness.MeasureAsync($"Akka, our plugin, PostgreSQL, recovery of one entity with {recover:N0} events", "events/s", true, "≥ 500,000/s", runs, () => RecoveryAsync(Plugin.Ours, pg, recover)));
        figures.Add(await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql, PostgreSQL, recovery of one entity with {recover:N0} events", "events/s", true, "report", runs, () => RecoveryAsync(Plugin.AkkaSql, pg, recover)));
        figures.Add(await Harness.MeasureAsync($"Akka, our plugin, SQLite, recovery of one entity with {recover:N0} events", "events/s", true, "report", runs, () => RecoveryAsync(Plugin.Ours, sqlite, recover)));
        figures.Add(await Harness.MeasureAsync($"Akka, Akka's in-memory journal, recovery of one entity with {recover:N0} events (Akka's own ceiling here)", "events/s", true, "report", runs, () => RecoveryAsync(Plugin.AkkaMemory, sqlite, recover)));

        var cold = quick ? 2_000 : 10_000;
        foreach (var database in new[] { pg, sqlite })
        {
            var where = database == pg ? "PostgreSQL" : "SQLite";
            var serverCpu = new List<double>();
            figures.Add(await Harness.MeasureAsync($"Akka, our plugin, {where}, recovery of {cold:N0} cold entities at once (half with 3 events, half new)", "entities/s", true, "report", runs, () => ColdStartAsync(database, cold, 3, serverCpu)));
            if (database == pg && serverCpu.Count > 0)
            {
                serverCpu.Sort();
                figures.Add(new Figure($"Akka, our plugin, PostgreSQL, server CPU per 1,000 cold entities recovered", "ms", serverCpu[serverCpu.Count / 2], serverCpu[0], false, "report"));
            }
        }

        figures.Add(await Harness.MeasureAsync($"Akka, our read journal, PostgreSQL, CurrentAllEvents over {recover:N0} events", "events/s", true, "report", runs, () => ReadAllAsync(Plugin.Ours, pg, recover)));
        figures.Add(await Harness.MeasureAsync($"Akka, Akka.Persistence.Sql read journal, PostgreSQL, CurrentAllEvents over {recover:N0} events", "events/s", true, "report", runs, () => ReadAllAsync(Plugin.AkkaSql, pg, recover)));
        return figures;
    }

    private static Figure Ratio(string name, Figure ours, Figure theirs, string bar)
        => new(name, "×", ours.Median / theirs.Median, ours.Best / theirs.Best, true, bar);

    private static async Task<double> ThroughputAsync(Plugin plugin, JournalDatabase database, int eventsEach, bool async)
    {
        using var place = new Place(plugin, database);
        var system = place.Start();
        try
        {
            var actors = Enumerable.Range(0, Actors).Select(i => system.ActorOf(Props.Create(() => new BenchActor($"bench-{i}", async)))).ToArray();
            await Task.WhenAll(actors.Select(a => a.Ask<BenchActor.Recovered>(BenchActor.Ping.Instance, TimeSpan.FromSeconds(60))));
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(actors.Select(a => a.Ask<BenchActor.Finished>(new BenchActor.Run(eventsEach), TimeSpan.FromMinutes(5))));
            var rate = Actors * eventsEach / Harness.Seconds(start);
            foreach (var set in Coordinator.Persistence.Journal.CoordinatorStores.Get(system).All)
            {
                Console.Error.Write($" [{set.Writer.EventsWritten / Math.Max(1, set.Writer.Batches)} events/batch, {set.Writer.WriteTime.TotalMilliseconds / Math.Max(1, set.Writer.Batches):N1} ms/batch]");
            }

            return rate;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Commands arrive at a fixed total rate, one event each, spread over the actors; latency is command to handler.</summary>
    private static async Task<double> LatencyAsync(Plugin plugin, JournalDatabase database, double eventsPerSecond, TimeSpan duration)
    {
        using var place = new Place(plugin, database);
        var system = place.Start();
        try
        {
            var latencies = new List<double>();
            var recorder = system.ActorOf(Props.Create(() => new LatencyRecorder(latencies)));
            var actors = Enumerable.Range(0, Actors).Select(i => system.ActorOf(Props.Create(() => new BenchActor($"lat-{i}", false)))).ToArray();
            await Task.WhenAll(actors.Select(a => a.Ask<BenchActor.Recovered>(BenchActor.Ping.Instance, TimeSpan.FromSeconds(60))));
            var total = (int)(eventsPerSecond * duration.TotalSeconds);

            // A dedicated thread paces the commands: every millisecond it sends those now due,
            // so it neither spins a core away from the system under test nor bunches sends.
            var pacer = new Thread(() =>
            {
                var start = Stopwatch.GetTimestamp();
                var sent = 0;
                while (sent < total)
                {
                    var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * eventsPerSecond));
                    for (; sent < due; sent++)
                    {
                        actors[sent % Actors].Tell(new BenchActor.Timed(Stopwatch.GetTimestamp()), recorder);
                    }

                    Thread.Sleep(1);
                }
            })
            { IsBackground = true, Name = "latency-pacer" };
            pacer.Start();
            pacer.Join();

            var received = await recorder.Ask<int>(new LatencyRecorder.WaitFor(total), TimeSpan.FromMinutes(2));
            latencies.Sort();
            return received == 0 ? 0 : latencies[(int)(latencies.Count * 0.99)];
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static async Task<double> RecoveryAsync(Plugin plugin, JournalDatabase database, int events)
    {
        using var place = new Place(plugin, database);
        var writer = place.Start();
        var entity = writer.ActorOf(Props.Create(() => new BenchActor("long-lived", true)));
        await entity.Ask<BenchActor.Finished>(new BenchActor.Run(events), TimeSpan.FromMinutes(5));
        ActorSystem reader;
        if (plugin == Plugin.AkkaMemory)
        {
            // The in-memory journal lives in its actor system: recover in the same one.
            await entity.GracefulStop(TimeSpan.FromSeconds(10));
            reader = writer;
        }
        else
        {
            await writer.Terminate();
            reader = place.Start();
        }

        try
        {
            var start = Stopwatch.GetTimestamp();
            var again = reader.ActorOf(Props.Create(() => new BenchActor("long-lived", true)));
            var recovered = await again.Ask<BenchActor.Recovered>(BenchActor.Ping.Instance, TimeSpan.FromMinutes(5));
            var seconds = Harness.Seconds(start);
            return recovered.Events != events ? throw new InvalidOperationException($"recovered {recovered.Events} of {events} events") : events / seconds;
        }
        finally
        {
            await reader.Terminate();
        }
    }

    /// <summary>
    /// A node starting cold: <paramref name="entities"/> actors start at once, half of them with
    /// <paramref name="eventsEach"/> events written earlier, half new; entities/s until all have
    /// recovered, and the PostgreSQL server's CPU per 1,000 entities (from /proc, measured runs).
    /// </summary>
    private static async Task<double> ColdStartAsync(JournalDatabase database, int entities, int eventsEach, List<double> serverCpu)
    {
        using var place = new Place(Plugin.Ours, database);
        var writer = place.Start();
        try
        {
            var written = Enumerable.Range(0, entities / 2).Select(i => writer.ActorOf(Props.Create(() => new BenchActor($"cold-{i}", true)))).ToArray();
            await Task.WhenAll(written.Select(a => a.Ask<BenchActor.Finished>(new BenchActor.Run(eventsEach), TimeSpan.FromMinutes(5))));
        }
        finally
        {
            await writer.Terminate();
        }

        var reader = place.Start();
        try
        {
            var cpu = ShardedIngress.CpuSplit.Read();
            var start = Stopwatch.GetTimestamp();
            var actors = Enumerable.Range(0, entities).Select(i => reader.ActorOf(Props.Create(() => new BenchActor($"cold-{i}", true)))).ToArray();
            var recovered = await Task.WhenAll(actors.Select(a => a.Ask<BenchActor.Recovered>(BenchActor.Ping.Instance, TimeSpan.FromMinutes(5))));
            var seconds = Harness.Seconds(start);
            var used = ShardedIngress.CpuSplit.Read() - cpu;
            var events = recovered.Sum(r => r.Events);
            if (events != (long)(entities / 2) * eventsEach)
            {
                throw new InvalidOperationException($"recovered {events} of {(entities / 2) * eventsEach} events");
            }

            serverCpu.Add(used.Postgres / (entities / 1000.0));
            Console.Error.Write($" [PostgreSQL {used.Postgres / (entities / 1000.0):N0} ms, coordinator {used.Coordinator / (entities / 1000.0):N0} ms per 1,000]");
            return entities / seconds;
        }
        finally
        {
            await reader.Terminate();
        }
    }

    private static async Task<double> ReadAllAsync(Plugin plugin, JournalDatabase database, int events)
    {
        using var place = new Place(plugin, database);
        var system = place.Start();
        try
        {
            var actors = Enumerable.Range(0, 100).Select(i => system.ActorOf(Props.Create(() => new BenchActor($"read-{i}", true)))).ToArray();
            await Task.WhenAll(actors.Select(a => a.Ask<BenchActor.Finished>(new BenchActor.Run(events / 100), TimeSpan.FromMinutes(5))));
            var journal = PersistenceQuery.Get(system).ReadJournalFor<ICurrentAllEventsQuery>(place.ReadJournalId);
            var start = Stopwatch.GetTimestamp();
            var count = await journal.CurrentAllEvents(Offset.NoOffset()).RunAggregate(0, static (n, _) => n + 1, system.Materializer());
            var seconds = Harness.Seconds(start);
            return count != events ? throw new InvalidOperationException($"read {count} of {events} events") : count / seconds;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>A fresh PostgreSQL schema or SQLite file for one run, and the actor systems on it.</summary>
    private sealed class Place : IDisposable
    {
        private readonly Plugin _plugin;
        private readonly JournalLocation _location;

        public Place(Plugin plugin, JournalDatabase database)
        {
            _plugin = plugin;
            var n = Interlocked.Increment(ref _places);
            if (database == JournalDatabase.PostgreSql)
            {
                var schema = $"akb{Environment.ProcessId}_{n}";
                Execute($"CREATE SCHEMA IF NOT EXISTS {schema}");
                _location = new JournalLocation(database, TestPostgres.ConnectionString, schema);
            }
            else
            {
                _location = new JournalLocation(database, Path.Combine(Path.GetTempPath(), $"coordinator-akka-bench-{Environment.ProcessId}-{n}.db"));
            }
        }

        public string ReadJournalId => PersistenceConfig.ReadJournalId(_plugin == Plugin.Ours ? JournalImplementation.Coordinator : JournalImplementation.AkkaSql);

        public ActorSystem Start()
        {
            var journal = _plugin switch
            {
                Plugin.Ours => PersistenceConfig.Coordinator(_location),
                Plugin.AkkaSql => PersistenceConfig.AkkaSql(_location),
                Plugin.AkkaMemory => ConfigurationFactory.ParseString("""
                    akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                    """),
                _ => PersistenceConfig.AkkaSql(_location, batchSize: 1000, parallelism: 8),
            };
            var config = ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.persistence.journal.coordinator.circuit-breaker.call-timeout = 120s
                akka.persistence.journal.sql.circuit-breaker.call-timeout = 120s
                """).WithFallback(journal);
            var registry = new EventTypeRegistry().Register("V1.BenchPersisted", AkkaBenchContext.Default.Persisted);
            return ActorSystem.Create("bench", BootstrapSetup.Create().WithConfig(config).And(CoordinatorSerialization.Setup(registry))).StartScheduler();
        }

        public void Dispose()
        {
            if (_location.Database == JournalDatabase.PostgreSql)
            {
                Execute($"DROP SCHEMA IF EXISTS {_location.Schema} CASCADE");
            }
            else
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_location.ConnectionString)!, Path.GetFileName(_location.ConnectionString) + "*"))
                {
                    File.Delete(file);
                }
            }
        }

        private static void Execute(string sql)
        {
            using var dataSource = NpgsqlDataSource.Create(TestPostgres.ConnectionString);
            using var command = dataSource.CreateCommand(sql);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Persists one event per command (<c>Persist</c>), or streams them (<c>PersistAsync</c>).</summary>
    private sealed class BenchActor : ReceivePersistentActor
    {
        private readonly bool _async;
        private long _events;
        private int _remaining;
        private IActorRef? _requester;
        private long _sent;
        private long _target;

        public BenchActor(string persistenceId, bool async)
        {
            PersistenceId = persistenceId;
            _async = async;
            Recover<Persisted>(_ => _events++);
            Command<Ping>(_ => Sender.Tell(new Recovered(_events)));
            Command<Run>(run =>
            {
                (_remaining, _requester) = (run.Events, Sender);
                (_sent, _target) = (_events, _events + run.Events);
                Self.Tell(Next.Instance);
            });
            Command<Next>(_ => PersistOne());
            Command<Timed>(timed =>
            {
                var sender = Sender;
                Persist(new Persisted(_events + 1, timed.SentTicks), e =>
                {
                    _events++;
                    sender.Tell(new LatencyRecorder.Sample(Stopwatch.GetElapsedTime(e.SentTicks).TotalMilliseconds));
                });
            });
        }

        public override string PersistenceId { get; }

        private void PersistOne()
        {
            if (_async)
            {
                // One event per command without waiting for it: Akka writes an actor's pending
                // PersistAsync events together while its previous write is in flight.
                if (_sent++ < _target)
                {
                    PersistAsync(new Persisted(_sent, 0), _ => Handled());
                    Self.Tell(Next.Instance);
                }

                return;
            }

            Persist(new Persisted(_events + 1, 0), _ =>
            {
                Handled();
                if (_remaining > 0)
                {
                    Self.Tell(Next.Instance);
                }
            });
        }

        private void Handled()
        {
            _events++;
            if (--_remaining == 0)
            {
                _requester?.Tell(new Finished(_events));
            }
        }

        public sealed record Run(int Events);

        public sealed record Finished(long Events);

        public sealed record Recovered(long Events);

        public sealed record Timed(long SentTicks);

        public sealed record Ping
        {
            public static Ping Instance { get; } = new();
        }

        private sealed record Next
        {
            public static Next Instance { get; } = new();
        }
    }

    private sealed class LatencyRecorder : ReceiveActor
    {
        private readonly List<double> _latencies;
        private (int Count, IActorRef Requester)? _waiting;

        public LatencyRecorder(List<double> latencies)
        {
            _latencies = latencies;
            Receive<Sample>(sample =>
            {
                _latencies.Add(sample.Milliseconds);
                Check();
            });
            Receive<WaitFor>(wait =>
            {
                _waiting = (wait.Count, Sender);
                Check();
            });
        }

        private void Check()
        {
            if (_waiting is { } waiting && _latencies.Count >= waiting.Count)
            {
                waiting.Requester.Tell(_latencies.Count);
                _waiting = null;
            }
        }

        public sealed record Sample(double Milliseconds);

        public sealed record WaitFor(int Count);
    }
}
