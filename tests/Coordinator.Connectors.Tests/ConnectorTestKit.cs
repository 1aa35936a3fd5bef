using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Coordinator.Connectors.Http;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Journal;
using Coordinator.Persistence.Serialization;
using Xunit.Abstractions;

namespace Coordinator.Connectors.Tests;

/// <summary>
/// An Akka.NET test kit for connector supervisors: a real payments API on loopback, our
/// Akka.Persistence journal plugin on a fresh SQLite file (its store wrapped so a test can fail a
/// write), and messages serialized as if they crossed nodes (<c>serialize-messages = on</c>)
/// unless a suite says why not. A "restart" stops the persistent actor and starts a new
/// incarnation, which recovers from the file.
/// </summary>
public abstract class ConnectorTestKit : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Files _files;
    private IActorRef? _supervisor;
    private int _incarnation;

    protected ConnectorTestKit(ITestOutputHelper output, bool verifySerialization = true)
        : this(new Files(), output, verifySerialization)
    {
    }

    private ConnectorTestKit(Files files, ITestOutputHelper output, bool verifySerialization)
        : base(files.Setup(verifySerialization), output: output)
    {
        _files = files;
        Sys.StartScheduler();
    }

    protected ConnectorMetrics Metrics { get; } = new();

    protected PaymentsApi Api { get; private set; } = null!;

    protected string JournalPath => _files.JournalPath;

    protected FaultyJournal Journal => _files.Journal ?? throw new InvalidOperationException("The journal plugin has not opened its store yet.");

    public async Task InitializeAsync() => Api = await PaymentsApi.StartAsync();

    public async Task DisposeAsync()
    {
        await Sys.Terminate();
        await Api.DisposeAsync();
        Metrics.Dispose();
        _files.Dispose();
    }

    protected static ConnectorPolicy Policy(int maxAttempts = 4, int threshold = 100) => new()
    {
        MaxAttempts = maxAttempts,
        BaseDelay = TimeSpan.FromMilliseconds(5),
        MaxDelay = TimeSpan.FromMilliseconds(50),
        CircuitFailureThreshold = threshold,
        BreakDuration = TimeSpan.FromMilliseconds(300),
        Timeout = TimeSpan.FromSeconds(2),
        RatePerSecond = 1_000,
        DrainPerSecond = 200,
    };

    protected HttpConnector Payments(ConnectorPolicy policy, TimeProvider? time = null)
        => new("payments", DomainConnectors.Payments(new HttpConnectorOptions { Kind = "payments", BaseUrl = Api.BaseUrl, Policy = policy }), timeProvider: time);

    /// <summary>Starts (or, after a stop, starts again) the persistent supervisor directly, with a seeded jitter.</summary>
    protected async Task<IActorRef> StartAsync(ConnectorPolicy policy, TimeProvider? time = null, IConnector? connector = null, IReadOnlyDictionary<string, IActorRef>? routes = null)
    {
        await StopAsync();
        connector ??= Payments(policy, time);
        _supervisor = Sys.ActorOf(ConnectorSupervisor.Props(connector, Metrics, time, new Random(1515), routes is null ? null : r => routes.GetValueOrDefault(r)), $"payments-{++_incarnation}");
        return _supervisor;
    }

    /// <summary>Stops the current incarnation and waits until it is gone.</summary>
    protected async Task StopAsync()
    {
        if (_supervisor is { } supervisor)
        {
            var watcher = CreateTestProbe();
            watcher.Watch(supervisor);
            supervisor.Tell(PoisonPill.Instance);
            await watcher.ExpectTerminatedAsync(supervisor, Patience);
            _supervisor = null;
        }
    }

    protected static ConnectorRequest Charge(string entity, long amount, string customer = "cus_1")
        => new("payments", "charge", ConnectorRequest.KeyFor(entity, "charge"), $"case-{entity}", new JsonObject { ["amount"] = amount, ["currency"] = "EUR", ["customer"] = customer });

    protected static Task<T> AskAsync<T>(IActorRef to, object message) => to.Ask<T>(message, Patience);

    /// <summary>Asks once with a short patience; null when no answer came (the supervisor is down, or its incarnation was lost).</summary>
    protected static async Task<T?> TryAskAsync<T>(IActorRef to, object message)
        where T : class
    {
        try
        {
            return await to.Ask<T>(message, TimeSpan.FromSeconds(1));
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    protected List<(string Type, string CausedBy)> JournalRows()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={JournalPath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM journal WHERE persistence_id = 'connector-payments' ORDER BY sequence_nr";
        using var reader = command.ExecuteReader();
        var (type, causedBy) = (reader.GetOrdinal("event_type"), reader.GetOrdinal("caused_by"));
        var rows = new List<(string, string)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(type), reader.GetString(causedBy)));
        }

        return rows;
    }

    /// <summary>A fresh SQLite file per test and the journal store wrapped so a test can fail a write.</summary>
    private sealed class Files : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-connectors-").FullName;

        public string JournalPath => Path.Combine(_directory, "journal.db");

        public FaultyJournal? Journal { get; private set; }

        public ActorSystemSetup Setup(bool verifySerialization) => BootstrapSetup.Create()
            .WithConfig(ConfigurationFactory.ParseString($"""
                akka.loglevel = INFO
                akka.test.single-expect-default = 10s
                akka.actor.serialize-messages = {(verifySerialization ? "on" : "off")}
                akka.persistence.journal.coordinator.circuit-breaker.call-timeout = 30s
                akka.actor.serialization-settings.json.converters = ["Coordinator.Kafka.IngressNode.JsonNodeNewtonsoftConverter, Coordinator.Kafka.IngressNode"]
                """)
                .WithFallback(PersistenceConfig.Coordinator(new JournalLocation(JournalDatabase.Sqlite, JournalPath)))
                .WithFallback(ClusterSharding.DefaultConfig())) // binds ShardingEnvelope's serializer, as a node has it
            .And(CoordinatorSerialization.Setup(new EventTypeRegistry().AddConnectors()))
            .And(new CoordinatorStoresSetup(inner => Journal = new FaultyJournal(inner)));

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
