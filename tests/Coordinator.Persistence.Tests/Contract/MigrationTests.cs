using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;

namespace Coordinator.Persistence.Tests.Contract;

/// <summary>Schema scripts apply once each, however many nodes start together.</summary>
public sealed class MigrationTests
{
    [Fact]
    public async Task Postgres_NodesStartingTogether_ApplyEachScriptOnce()
    {
        var schema = $"mig{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
        var nodes = Enumerable.Range(0, 6).Select(_ => new PostgresJournalStore(Postgres.DataSource, new PostgresOptions { Schema = schema })).ToList();
        await Task.WhenAll(nodes.Select(n => Task.Run(() => n.InitializeAsync())));
        await new PostgresSnapshots(Postgres.DataSource, new PostgresOptions { Schema = schema }).InitializeAsync();

        Assert.Equal(PostgresSchema.LatestVersion, await PostgresSchema.CurrentVersionAsync(Postgres.DataSource, schema));
        await using var count = Postgres.DataSource.CreateCommand($"SELECT count(*) FROM {schema}.schema_version");
        Assert.Equal((long)PostgresSchema.LatestVersion, (long)(await count.ExecuteScalarAsync())!);
        await nodes[0].WriteAsync([JournalContract<PostgresStoreFixture>.Event("p", 1)]);
        await using var drop = Postgres.DataSource.CreateCommand($"DROP SCHEMA {schema} CASCADE");
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Sqlite_ProcessesSharingAFile_ApplyEachScriptOnce()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("coordinator-migrate-").FullName, "shared.db");
        var storages = Enumerable.Range(0, 4).Select(_ => new SqliteStorage(file)).ToList();
        await Task.WhenAll(storages.Select(s => Task.Run(() => new SqliteJournalStore(s).InitializeAsync())));

        Assert.Equal(SqliteStorage.LatestVersion, await storages[0].CurrentVersionAsync());
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file}"))
        {
            await connection.OpenAsync();
            await using var mode = connection.CreateCommand();
            mode.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", (string)(await mode.ExecuteScalarAsync())!); // a property of the file, set at start
        }

        await new SqliteJournalStore(storages[1]).WriteAsync([JournalContract<SqliteStoreFixture>.Event("p", 1)]);
        Assert.Single(await new SqliteJournalStore(storages[2]).ReadAllAsync(0, 10));
    }
}
