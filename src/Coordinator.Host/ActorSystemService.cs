using Coordinator.Actors;
using Coordinator.Actors.Persistence;
using Coordinator.Actors.Shutdown;
using Coordinator.Connectors;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Coordinator.Host;

/// <summary>
/// Owns the process's <see cref="ActorSystem"/>: created from the validated options, and shut
/// down through its coordinated shutdown when the host stops (SIGTERM, Ctrl+C), so actors finish
/// their in-flight work before the process exits.
/// </summary>
internal sealed class ActorSystemService(IOptions<CoordinatorOptions> options, IOptions<JournalOptions> journalOptions, IConfiguration configuration, ConnectorRegistry connectorKinds, ILoggerFactory loggerFactory, TimeProvider time, IServiceProvider services, ILogger<ActorSystemService> logger)
    : IHostedService, IAsyncDisposable
{
    private NpgsqlDataSource? _dataSource;

    private readonly Lazy<ActorSystem> _system = new(() => ActorSystem.Create(options.Value.SystemName, new ActorSystemSettings
    {
        LoggerFactory = loggerFactory,
        TimeProvider = time,
        Throughput = options.Value.Throughput,
        ShutdownPhaseTimeout = options.Value.ShutdownPhaseTimeout,
    }));

    public ActorSystem System => _system.Value;

    /// <summary>The journal and snapshot store, once started.</summary>
    public PersistenceExtension? Persistence { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var journal = journalOptions.Value;
        var connectors = ConnectorsConfiguration.Build(configuration, connectorKinds); // fails the start, naming each bad setting
        var (journalStore, snapshotStore) = CreateStores(journal);
        Persistence = await PersistenceExtension.StartAsync(System, new PersistenceSettings
        {
            Journal = journalStore,
            SnapshotStore = snapshotStore,
            Registry = new EventTypeRegistry().AddConnectors(),
            MaxBatchEvents = journal.MaxBatchEvents,
            MaxPendingEvents = Math.Max(100_000, journal.MaxBatchEvents),
        }, cancellationToken).ConfigureAwait(false);
        logger.ActorSystemStarted(System.Name);
        logger.JournalStarted(journal.Provider, journal.Provider switch
        {
            "sqlite" => Path.GetFullPath(journal.SqlitePath),
            "postgres" => $"schema {journal.PostgresSchema}",
            _ => "in memory; events are lost when the process exits",
        });
        // The connectors run on the Akka.NET system (resolved here: their settings are validated first).
        ConnectorsExtension.Start(services.GetRequiredService<Akka.Actor.ActorSystem>(), connectors, time: time);
        logger.ConnectorsStarted(connectors.Count, string.Join(", ", connectors.Keys.Order()));
    }

    private (IJournalStore, ISnapshotStore) CreateStores(JournalOptions journal)
    {
        switch (journal.Provider)
        {
            case "postgres":
            case "akka-sql" when !string.IsNullOrWhiteSpace(journal.PostgresConnectionString):
                _dataSource = NpgsqlDataSource.Create(journal.PostgresConnectionString!);
                var postgres = new PostgresOptions { Schema = journal.PostgresSchema, LockTimeout = journal.PostgresLockTimeout, IdleInTransactionTimeout = journal.PostgresIdleInTransactionTimeout };
                return (new PostgresJournalStore(_dataSource, postgres), new PostgresSnapshotStore(_dataSource, postgres));
            case "memory":
                return (new MemoryJournalStore(), new MemorySnapshotStore());
            default:
                var storage = new SqliteStorage(journal.SqlitePath);
                return (new SqliteJournalStore(storage), new SqliteSnapshotStore(storage));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_system.IsValueCreated)
        {
            return;
        }

        var result = await System.CoordinatedShutdown.Run(ShutdownReason.HostStopping).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.TimedOutPhases.Count > 0 || result.FailedTasks.Count > 0)
        {
            logger.ShutdownIncomplete(string.Join(", ", result.TimedOutPhases), string.Join(", ", result.FailedTasks));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_system.IsValueCreated)
        {
            await System.DisposeAsync().ConfigureAwait(false);
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
