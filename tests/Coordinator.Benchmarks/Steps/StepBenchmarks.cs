using System.Diagnostics;
using Coordinator.Connectors;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.TestKit;
using Coordinator.Workflows.OrderNode;
using Npgsql;

namespace Coordinator.Benchmarks.Steps;

/// <summary>
/// Steps through a supervised connector, end to end: <c>order.placed</c> records on 8 partitions,
/// each one order entity whose charge goes through the payments connector (a call and a read-back
/// against a real HTTP server on loopback) and whose outcome is journaled, all in PostgreSQL:
/// a one-node Akka cluster, the sharded ingress graph, the order region, our journal plugin.
/// </summary>
internal static class StepBenchmarks
{
    private const int Partitions = 8;
    private static int _run;

    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var orders = quick ? 1_000 : 5_000;
        var fromAssigned = new List<double>();
        var figures = new List<Figure>
        {
            await Harness.MeasureAsync($"Connector steps, Kafka → entity → payments (call + read-back) → outcome journaled, PostgreSQL, {orders:N0} orders, from the node's start", "steps/s", true, "report", runs,
                async () =>
                {
                    var (rate, assigned) = await ThroughputAsync(orders);
                    fromAssigned.Add(assigned);
                    return rate;
                }),
        };
        if (fromAssigned.Count > 0)
        {
            // The warm-up's figure is the first; the table's are the measured runs'.
            var measured = fromAssigned.Skip(1).DefaultIfEmpty(fromAssigned[0]).Order().ToList();
            figures.Add(new Figure("… the same, clocked from all 8 partitions assigned (the node formed its cluster, joined the group and claimed its shards)", "steps/s", measured[measured.Count / 2], measured[^1], true, "report"));
        }

        return figures;
    }

    /// <summary>Steps per second from the node's start, and from the moment all partitions are assigned to it.</summary>
    private static async Task<(double Rate, double FromAssigned)> ThroughputAsync(int orders)
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic(Orders.Topic, Partitions);
        using (var producer = Ledger.Producer(kafka, lingerMs: 5))
        {
            for (var n = 0; n < orders; n++)
            {
                Orders.Place(producer, $"order-{n}", $"placed-{n}", 100 + n, $"cus_{n}");
            }

            producer.Flush(TimeSpan.FromMinutes(2));
        }

        await using var api = await PaymentsApi.StartAsync();
        var schema = $"steps_bench_{Environment.ProcessId}_{Interlocked.Increment(ref _run)}";
        await using var dataSource = NpgsqlDataSource.Create(TestPostgres.ConnectionString);
        var options = new PostgresOptions { Schema = schema };
        var journal = new PostgresJournalStore(dataSource, options);
        await journal.InitializeAsync();
        try
        {
            var connectors = new Dictionary<string, IConnector> { ["payments"] = Orders.Payments(api.BaseUrl, p => p.MaxConcurrentCalls = 64) };
            var start = Stopwatch.GetTimestamp();
            await using var node = await OrderNode.StartAsync(kafka.BootstrapServers, "bench", Partitions, new JournalLocation(JournalDatabase.PostgreSql, TestPostgres.ConnectionString, schema), new MemoryDeadLetterStore(), connectors, verifySerialization: false);
            await Eventually.TrueAsync(() => node.Ingress.Assignment.Count == Partitions, "all partitions assigned", TimeSpan.FromSeconds(60));
            var assigned = Stopwatch.GetTimestamp();
            await Eventually.TrueAsync(() => node.Connectors.Metrics.StepsConcluded == orders, $"{orders} steps concluded", TimeSpan.FromMinutes(10));
            var end = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
            Console.Error.Write($" [start→assigned {Stopwatch.GetElapsedTime(start, assigned).TotalSeconds:N2} s]");
            if (api.Effects.Count != orders)
            {
                throw new InvalidOperationException($"{api.Effects.Count} charges took effect, expected {orders}.");
            }

            return (orders / seconds, orders / Stopwatch.GetElapsedTime(assigned, end).TotalSeconds);
        }
        finally
        {
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
