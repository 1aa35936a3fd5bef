using System.Text.Json.Serialization;
using Coordinator.Actors;
using Coordinator.Actors.Persistence;
using Coordinator.Persistence.CrashWriter;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Npgsql;

// Usage: CrashWriter sqlite <file> | postgres <connection string> <schema>
// Persists forever through 20 actors, 25 events per command (one atomic write each), and prints
// "ack <persistence id> <sequence nr>" once a command's events are durable. Kill it at any time.
IJournalStore journal;
ISnapshotStore snapshots;
switch (args)
{
    case ["sqlite", var file]:
        var storage = new SqliteStorage(file);
        (journal, snapshots) = (new SqliteJournalStore(storage), new SqliteSnapshotStore(storage));
        break;
    case ["postgres", var connectionString, var schema]:
        var dataSource = NpgsqlDataSource.Create(connectionString);
        var options = new PostgresOptions { Schema = schema };
        (journal, snapshots) = (new PostgresJournalStore(dataSource, options), new PostgresSnapshotStore(dataSource, options));
        break;
    default:
        Console.Error.WriteLine("usage: CrashWriter sqlite <file> | postgres <connection string> <schema>");
        return 2;
}

var system = ActorSystem.Create("crash-writer");
await PersistenceExtension.StartAsync(system, new PersistenceSettings
{
    Journal = journal,
    SnapshotStore = snapshots,
    Registry = new EventTypeRegistry().Register("V1.Filler", CrashContext.Default.Filler),
});
var output = Console.Out;
for (var i = 0; i < 20; i++)
{
    system.ActorOf(Props.Create(() => new Writer($"crash-{i}", output)));
}

Console.WriteLine("started");
await Task.Delay(Timeout.Infinite);
return 0;

namespace Coordinator.Persistence.CrashWriter
{
    public sealed record Filler(long Batch, string Padding);

    [JsonSerializable(typeof(Filler))]
    internal sealed partial class CrashContext : JsonSerializerContext;

    internal sealed class Writer(string persistenceId, TextWriter output) : PersistentActor
    {
        private static readonly string Padding = new('x', 800);
        private long _batch;

        public override string PersistenceId => persistenceId;

        protected override bool ReceiveRecover(object message)
        {
            if (message is RecoveryCompleted)
            {
                Self.Tell("next");
            }

            return true;
        }

        protected override bool ReceiveCommand(object message)
        {
            var batch = ++_batch;
            var count = 0;
            PersistAll(Enumerable.Range(0, 25).Select(_ => new Filler(batch, Padding)), _ =>
            {
                if (++count == 25)
                {
                    lock (output)
                    {
                        output.WriteLine($"ack {PersistenceId} {LastSequenceNr}");
                        output.Flush();
                    }

                    Self.Tell("next");
                }
            });
            return true;
        }
    }
}
