using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Npgsql;

namespace Coordinator.Kafka.Tests.Ingress;

/// <summary>A journal, snapshot store and dead-letter store of one kind, isolated per test and removed afterwards.</summary>
public sealed class Stores : IAsyncDisposable
{
    private static readonly Lazy<NpgsqlDataSource> PostgresSource = new(() => NpgsqlDataSource.Create(TestPostgres.ConnectionString));
    private static int _count;
    private readonly string? _schema;
    private readonly string? _directory;

    private Stores(string kind)
    {
        Kind = kind;
        switch (kind)
        {
            case "postgres":
                _schema = $"k{Environment.ProcessId}_{Interlocked.Increment(ref _count)}";
                var options = new PostgresOptions { Schema = _schema };
                (Journal, Snapshots, DeadLetters) = (new PostgresJournalStore(DataSource, options), new PostgresSnapshots(DataSource, options), new PostgresDeadLetterStore(DataSource, options));
                break;
            case "sqlite":
                _directory = Directory.CreateTempSubdirectory("coordinator-ingress-").FullName;
                SqlitePath = Path.Combine(_directory, "coordinator.db");
                var storage = new SqliteStorage(SqlitePath);
                (Journal, Snapshots, DeadLetters) = (new SqliteJournalStore(storage), new SqliteSnapshots(storage), new SqliteDeadLetterStore(storage));
                break;
            default:
                (Journal, Snapshots, DeadLetters) = (new MemoryJournalStore(), new InMemorySnapshots(), new MemoryDeadLetterStore());
                break;
        }
    }

    public static NpgsqlDataSource DataSource => PostgresSource.Value;

    public string Kind { get; }

    public string? Schema => _schema;

    public string? SqlitePath { get; }

    public IJournalStore Journal { get; }

    public ISnapshotStore Snapshots { get; }

    public IDeadLetterStore DeadLetters { get; }

    public static Stores Create(string kind) => new(kind);

    public async ValueTask DisposeAsync()
    {
        if (_schema is not null)
        {
            await using var drop = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }

        if (_directory is not null)
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
