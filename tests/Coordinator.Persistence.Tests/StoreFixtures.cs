using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Npgsql;

namespace Coordinator.Persistence.Tests;

/// <summary>Makes fresh, isolated stores of one kind for each test.</summary>
public interface IStoreFixture
{
    Task<(IJournalStore Journal, ISnapshotStore Snapshots)> CreateAsync();
}

public sealed class MemoryStoreFixture : IStoreFixture
{
    public Task<(IJournalStore, ISnapshotStore)> CreateAsync()
        => Task.FromResult<(IJournalStore, ISnapshotStore)>((new MemoryJournalStore(), new InMemorySnapshots()));
}

/// <summary>A new database file per test, deleted with the fixture.</summary>
public sealed class SqliteStoreFixture : IStoreFixture, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-sqlite-").FullName;
    private int _files;

    public Task<(IJournalStore, ISnapshotStore)> CreateAsync()
    {
        var storage = new SqliteStorage(Path.Combine(_directory, $"journal-{Interlocked.Increment(ref _files)}.db"));
        return Task.FromResult<(IJournalStore, ISnapshotStore)>((new SqliteJournalStore(storage), new SqliteSnapshots(storage)));
    }

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

/// <summary>A new schema per test in the PostgreSQL that <see cref="Postgres"/> provides, dropped with the fixture.</summary>
public sealed class PostgresStoreFixture : IStoreFixture, IAsyncLifetime
{
    private static int _schemas;
    private readonly List<string> _created = [];

    public Task<(IJournalStore, ISnapshotStore)> CreateAsync()
    {
        var options = new PostgresOptions { Schema = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}" };
        lock (_created)
        {
            _created.Add(options.Schema);
        }

        return Task.FromResult<(IJournalStore, ISnapshotStore)>((new PostgresJournalStore(Postgres.DataSource, options), new PostgresSnapshots(Postgres.DataSource, options)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var schema in _created)
        {
            await using var drop = Postgres.DataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>The PostgreSQL the tests run against (see <see cref="TestPostgres"/>).</summary>
public static class Postgres
{
    private static readonly Lazy<NpgsqlDataSource> Source = new(() => NpgsqlDataSource.Create(TestPostgres.ConnectionString));

    public static NpgsqlDataSource DataSource => Source.Value;

    public static string ConnectionString => TestPostgres.ConnectionString;
}
