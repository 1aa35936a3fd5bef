using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Akka.CrashWriter;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Serialization;

// Usage: Coordinator.Persistence.Akka.CrashWriter sqlite <file> | postgres <connection string> <schema>
// Persists forever through 20 Akka persistent actors on our journal plugin, 25 events per
// command as one atomic write (PersistAll), and prints "ack <persistence id> <sequence nr>" once
// a command's events are durable. Kill it at any time.
var location = args switch
{
    ["sqlite", var file] => new JournalLocation(JournalDatabase.Sqlite, file),
    ["postgres", var connectionString, var schema] => new JournalLocation(JournalDatabase.PostgreSql, connectionString, schema),
    _ => null,
};
if (location is null)
{
    Console.Error.WriteLine("usage: Coordinator.Persistence.Akka.CrashWriter sqlite <file> | postgres <connection string> <schema>");
    return 2;
}

var registry = new EventTypeRegistry().Register("V1.Filler", CrashContext.Default.Filler);
var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(PersistenceConfig.Coordinator(location));
using var system = ActorSystem.Create("crash-writer", BootstrapSetup.Create().WithConfig(config).And(CoordinatorSerialization.Setup(registry))).StartScheduler();
var output = Console.Out;
for (var i = 0; i < 20; i++)
{
    var pid = $"crash-{i}";
    system.ActorOf(Props.Create(() => new Writer(pid, output)));
}

Console.WriteLine("started");
await Task.Delay(Timeout.Infinite);
return 0;

namespace Coordinator.Persistence.Akka.CrashWriter
{
    public sealed record Filler(long Batch, string Padding) : ICoordinatorMessage;

    [JsonSerializable(typeof(Filler))]
    internal sealed partial class CrashContext : JsonSerializerContext;

    internal sealed class Writer : ReceivePersistentActor
    {
        private const int EventsPerCommand = 25;
        private static readonly string Padding = new('x', 800);
        private long _batch;

        public Writer(string persistenceId, TextWriter output)
        {
            PersistenceId = persistenceId;
            Recover<Filler>(f => _batch = f.Batch);
            Recover<global::Akka.Persistence.RecoveryCompleted>(_ => Self.Tell(Next.Instance));
            Command<Next>(_ =>
            {
                var batch = ++_batch;
                var count = 0;
                PersistAll(Enumerable.Range(0, EventsPerCommand).Select(_ => new Filler(batch, Padding)), _ =>
                {
                    if (++count == EventsPerCommand)
                    {
                        lock (output)
                        {
                            output.WriteLine($"ack {PersistenceId} {LastSequenceNr}");
                            output.Flush();
                        }

                        Self.Tell(Next.Instance);
                    }
                });
            });
        }

        public override string PersistenceId { get; }

        private sealed record Next
        {
            public static Next Instance { get; } = new();
        }
    }
}
