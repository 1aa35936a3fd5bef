using Coordinator.Kafka.IngressNode;
using Coordinator.Persistence.Sql.Postgres;
using Npgsql;

if (args is ["cluster", ..])
{
    return await ClusterProgram.RunAsync(args[1..]);
}

// Usage: IngressNode <bootstrap servers> <group> <topic> <partitions> <postgres connection string> <schema> [commit interval ms]
// Runs one ledger node until killed. Prints "assigned <n>" whenever its assignment changes and
// "applied <n>" as records are applied.
if (args is not [var bootstrap, var group, var topic, var partitionText, var connectionString, var schema, .. var rest] || rest.Length > 1)
{
    Console.Error.WriteLine("usage: IngressNode <bootstrap servers> <group> <topic> <partitions> <postgres connection string> <schema>");
    return 2;
}

var dataSource = NpgsqlDataSource.Create(connectionString);
var options = new PostgresOptions { Schema = schema };
await using var node = await LedgerNode.StartAsync(bootstrap, group, topic, int.Parse(partitionText, System.Globalization.CultureInfo.InvariantCulture), new PostgresJournalStore(dataSource, options), new PostgresSnapshotStore(dataSource, options), new PostgresDeadLetterStore(dataSource, options),
    new Coordinator.Kafka.Ingress.IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(rest.Length == 1 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 200) });
Console.WriteLine("started");
var assigned = -1;
long applied = -1;
while (true)
{
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

    await Task.Delay(20);
}
