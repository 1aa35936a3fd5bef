using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Coordinator.TestKit;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// A real process persists through Akka persistent actors on our plugin and is killed with
/// SIGKILL mid-stream. Whatever it acknowledged must be in the journal, with no gap, and every
/// atomic write (25 events of one PersistAll) must be there entirely or not at all.
/// </summary>
public sealed class CrashTests
{
    private const string Writer = "Coordinator.Persistence.Akka.CrashWriter.dll";

    [Fact]
    public async Task OurSqlitePlugin_KilledMidBatch_LosesNothingAcknowledged_AndShowsNoHalfBatch()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("coordinator-akka-crash-").FullName, "journal.db");
        var acknowledged = await CrashRun.RunAndKillAsync(Writer, 200, "sqlite", file);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await CrashRun.VerifyAsync(new SqliteJournalStore(new SqliteStorage(file)), acknowledged, entities: 20, eventsPerCommand: 25);
    }

    [Fact]
    public async Task OurPostgresPlugin_KilledMidBatch_LosesNothingAcknowledged_AndShowsNoHalfBatch()
    {
        var schema = $"akcrash{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
        try
        {
            var acknowledged = await CrashRun.RunAndKillAsync(Writer, 200, "postgres", TestPostgres.ConnectionString, schema);
            await CrashRun.VerifyAsync(new PostgresJournalStore(TestDatabase.DataSource, new PostgresOptions { Schema = schema }), acknowledged, entities: 20, eventsPerCommand: 25);
        }
        finally
        {
            TestDatabase.DropSchema(schema);
        }
    }
}
