using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Sql.Sqlite;
using Coordinator.Workflows.OrderNode;

// Usage: OrderNode <bootstrap servers> <group> <partitions> <sqlite path> <payments base URL> <order to watch>
// Runs one order node until killed. Prints "started", then "journal <event types>" whenever the
// watched order's journal grows. It only reads the journal, so it never wakes the order itself.
if (args is not [var bootstrap, var group, var partitionText, var sqlitePath, var paymentsUrl, var watched])
{
    Console.Error.WriteLine("usage: OrderNode <bootstrap servers> <group> <partitions> <sqlite path> <payments base URL> <order to watch>");
    return 2;
}

var storage = new SqliteStorage(sqlitePath);
var journal = new SqliteJournalStore(storage);
var connectors = new Dictionary<string, Coordinator.Connectors.IConnector> { ["payments"] = Orders.Payments(paymentsUrl) };
await using var node = await OrderNode.StartAsync(bootstrap, group, int.Parse(partitionText, System.Globalization.CultureInfo.InvariantCulture), new JournalLocation(JournalDatabase.Sqlite, sqlitePath), new SqliteDeadLetterStore(storage), connectors);
Console.WriteLine("started");
var types = new List<string>();
while (true)
{
    var before = types.Count;
    await foreach (var row in journal.ReadEventsAsync($"order-{watched}", types.Count + 1, long.MaxValue))
    {
        types.Add(row.Event.TypeName);
    }

    if (types.Count != before)
    {
        Console.WriteLine($"journal {string.Join(',', types)}");
    }

    await Task.Delay(50);
}
