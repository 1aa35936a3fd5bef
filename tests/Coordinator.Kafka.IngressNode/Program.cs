using Coordinator.Kafka.IngressNode;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Sql.Postgres;
using Npgsql;

if (args is ["cluster", ..])
{
    return await ClusterProgram.RunAsync(args[1..]);
}

// Usage: IngressNode [akka] <bootstrap servers> <group> <topic> <partitions> <postgres connection string> <schema> [commit interval ms]
// Runs one ledger node until killed: a ClusterLedgerNode (its own one-node Akka cluster, our
// journal plugin on the schema; "akka" is accepted for older callers). Prints "assigned <n>"
// whenever its assignment changes and "applied <n>" as records are applied.
if (args is ["akka", ..])
{
    args = args[1..];
}

if (args is not [var bootstrap, var group, var topic, var partitionText, var connectionString, var schema, .. var rest] || rest.Length > 1)
{
    Console.Error.WriteLine("usage: IngressNode [akka] <bootstrap servers> <group> <topic> <partitions> <postgres connection string> <schema> [commit interval ms]");
    return 2;
}

var partitions = int.Parse(partitionText, System.Globalization.CultureInfo.InvariantCulture);
var commitInterval = TimeSpan.FromMilliseconds(rest.Length == 1 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 200);
var dataSource = NpgsqlDataSource.Create(connectionString);
var options = new PostgresOptions { Schema = schema };
var cluster = await ClusterLedgerNode.StartAsync(
    new ClusterNodeOptions(topic, partitions, new JournalLocation(JournalDatabase.PostgreSql, connectionString, schema)),
    Ledger.ConsumerOptions(bootstrap, group, topic),
    new PostgresDeadLetterStore(dataSource, options),
    new Coordinator.Kafka.Ingress.IngressSettings { CommitInterval = commitInterval });
await using (cluster)
{
    Console.WriteLine("started");
    var assigned = -1;
    long applied = -1;
    while (true)
    {
        if (cluster.Ingress.Assignment.Count != assigned)
        {
            assigned = cluster.Ingress.Assignment.Count;
            Console.WriteLine($"assigned {assigned}");
        }

        if (cluster.Metrics.Applied != applied)
        {
            applied = cluster.Metrics.Applied;
            Console.WriteLine($"applied {applied}");
        }

        await Task.Delay(20);
    }
}
