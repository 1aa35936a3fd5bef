using System.Globalization;
using System.Runtime.InteropServices;
using Coordinator.Kafka.Ingress;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Sql.Postgres;
using Npgsql;

namespace Coordinator.Kafka.IngressNode;

/// <summary>
/// The <c>cluster</c> mode: one <see cref="ClusterLedgerNode"/> (an Akka cluster member journaling
/// to PostgreSQL through our plugin) until SIGKILL, or until SIGTERM, on which it leaves
/// gracefully: the ingress stops (in flight finishes, watermarks are committed, shards are handed
/// off), then CoordinatedShutdown runs and the process exits 0.
/// </summary>
public static class ClusterProgram
{
    /// <summary>
    /// HOCON of a member of a multi-node test cluster: no serialization check of local messages
    /// (ddata's internal ReadRepair, sent locally when a majority read finds stale replicas, is not
    /// serializable, and losing it leaves the shard coordinator unable to read its state).
    /// Everything that crosses nodes is serialized anyway.
    /// </summary>
    public const string Hocon = """
        akka.actor.serialize-messages = off
        """;

    /// <summary>
    /// Usage: <c>cluster &lt;bootstrap servers&gt; &lt;group&gt; &lt;topic&gt; &lt;partitions&gt; &lt;postgres connection string&gt; &lt;schema&gt; &lt;remoting port&gt; [seed address | -] [delivery timeout ms]</c>.
    /// Prints <c>pid &lt;n&gt;</c>, <c>address &lt;addr&gt;</c>, then <c>assigned &lt;n&gt;</c> whenever its
    /// assignment changes, <c>applied &lt;n&gt;</c> as records are applied, <c>elsewhere &lt;n&gt;</c> as records are answered by an entity on another node, and <c>stopped</c> after a graceful leave.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [var bootstrap, var group, var topic, var partitionText, var connectionString, var schema, var portText, .. var rest] || rest.Length > 2)
        {
            await Console.Error.WriteLineAsync("usage: IngressNode cluster <bootstrap servers> <group> <topic> <partitions> <postgres connection string> <schema> <remoting port> [seed address | -] [delivery timeout ms]");
            return 2;
        }

        var seed = rest.Length > 0 && rest[0] != "-" ? Akka.Actor.Address.Parse(rest[0]) : null;
        var deliveryTimeout = TimeSpan.FromMilliseconds(rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 5_000);
        var terminate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // the graceful leave below ends the process
            terminate.TrySetResult();
        });

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var journal = new JournalLocation(JournalDatabase.PostgreSql, connectionString, schema);
        var options = new ClusterNodeOptions(topic, int.Parse(partitionText, CultureInfo.InvariantCulture), journal, seed, int.Parse(portText, CultureInfo.InvariantCulture)) { Hocon = Hocon };
        var settings = new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(200), DeliveryTimeout = deliveryTimeout, HandOffTimeout = TimeSpan.FromSeconds(15) };
        var node = await ClusterLedgerNode.StartAsync(options, Ledger.ConsumerOptions(bootstrap, group, topic), new PostgresDeadLetterStore(dataSource, new PostgresOptions { Schema = schema }), settings);
        Console.WriteLine($"pid {Environment.ProcessId}");
        Console.WriteLine($"address {node.Address}");
        var assigned = -1;
        long applied = -1;
        long elsewhere = 0;
        while (!terminate.Task.IsCompleted)
        {
            Report(node, ref assigned, ref applied, ref elsewhere);
            await Task.WhenAny(terminate.Task, Task.Delay(20));
        }

        Console.WriteLine("terminating");
        await node.DisposeAsync();
        Report(node, ref assigned, ref applied, ref elsewhere);
        Console.WriteLine("stopped");
        return 0;
    }

    private static void Report(ClusterLedgerNode node, ref int assigned, ref long applied, ref long elsewhere)
    {
        if (node.Ingress.ProcessedElsewhere != elsewhere)
        {
            elsewhere = node.Ingress.ProcessedElsewhere;
            Console.WriteLine($"elsewhere {elsewhere}");
        }

        if (node.Ingress.Assignment.Count != assigned)
        {
            assigned = node.Ingress.Assignment.Count;
            Console.WriteLine($"assigned {assigned}");
        }

        if (node.Metrics.Applied != applied)
        {
            applied = node.Metrics.Applied;
            Console.WriteLine($"applied {applied}");
        }
    }
}
