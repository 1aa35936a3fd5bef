using System.Diagnostics;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Npgsql;

namespace Coordinator.Persistence.Tests;

/// <summary>Makes fresh, isolated stores of one kind for each test.</summary>
public interface IStoreFixture
{
    string Name { get; }

    Task<(IJournalStore Journal, ISnapshotStore Snapshots)> CreateAsync();
}

public sealed class MemoryStoreFixture : IStoreFixture
{
    public string Name => "memory";

    public Task<(IJournalStore, ISnapshotStore)> CreateAsync()
        => Task.FromResult<(IJournalStore, ISnapshotStore)>((new MemoryJournalStore(), new MemorySnapshotStore()));
}

/// <summary>A new database file per test, deleted with the fixture.</summary>
public sealed class SqliteStoreFixture : IStoreFixture, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-sqlite-").FullName;
    private int _files;

    public string Name => "sqlite";

    public Task<(IJournalStore, ISnapshotStore)> CreateAsync()
    {
        var storage = new SqliteStorage(Path.Combine(_directory, $"journal-{Interlocked.Increment(ref _files)}.db"));
        return Task.FromResult<(IJournalStore, ISnapshotStore)>((new SqliteJournalStore(storage), new SqliteSnapshotStore(storage)));
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

/// <summary>A new schema per test in the PostgreSQL that <see cref="Postgres"/> provides.</summary>
public sealed class PostgresStoreFixture : IStoreFixture
{
    private static int _schemas;

    public string Name => "postgres";

    public Task<(IJournalStore, ISnapshotStore)> CreateAsync()
    {
        var options = new PostgresOptions { Schema = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}" };
        return Task.FromResult<(IJournalStore, ISnapshotStore)>((new PostgresJournalStore(Postgres.DataSource, options), new PostgresSnapshotStore(Postgres.DataSource, options)));
    }
}

/// <summary>
/// The PostgreSQL the tests run against: <c>COORDINATOR_TEST_POSTGRES</c> if set (./build.sh test
/// sets it), else the private cluster that <c>eng/postgres.sh</c> starts on loopback.
/// </summary>
public static class Postgres
{
    public const string EnvironmentVariable = "COORDINATOR_TEST_POSTGRES";

    private static readonly Lazy<NpgsqlDataSource> Source = new(Create);

    public static NpgsqlDataSource DataSource => Source.Value;

    public static string ConnectionString => Source.Value.ConnectionString;

    private static NpgsqlDataSource Create()
    {
        var connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = StartPrivateCluster();
        }

        return NpgsqlDataSource.Create(connectionString);
    }

    private static string StartPrivateCluster()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Coordinator.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        var script = root is null ? null : Path.Combine(root, "eng", "postgres.sh");
        if (script is null || !File.Exists(script))
        {
            throw new InvalidOperationException($"No PostgreSQL for the tests: set {EnvironmentVariable} to a connection string, or run ./build.sh test, which starts one.");
        }

        using var process = Process.Start(new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"eng/postgres.sh start failed ({process.ExitCode}): {error}. Install the 'postgresql' package or set {EnvironmentVariable}.");
        }

        return output.Split('\n')[^1];
    }
}
