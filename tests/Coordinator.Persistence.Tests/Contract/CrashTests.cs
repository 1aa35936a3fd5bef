using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;

namespace Coordinator.Persistence.Tests.Contract;

/// <summary>
/// A real process persists through real actors and is killed with SIGKILL mid-stream. Whatever
/// it acknowledged must be in the journal, and every atomic write (25 events of one command)
/// must be there entirely or not at all.
/// </summary>
public sealed class CrashTests
{
    private const int EventsPerCommand = 25;

    private const string Writer = "Coordinator.Persistence.CrashWriter.dll";

    [Fact]
    public async Task Sqlite_KilledMidBatch_LosesNothingAcknowledged_AndShowsNoHalfBatch()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("coordinator-crash-").FullName, "journal.db");
        var acknowledged = await CrashRun.RunAndKillAsync(Writer, 120, "sqlite", file);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await CrashRun.VerifyAsync(new SqliteJournalStore(new SqliteStorage(file)), acknowledged, entities: 20, EventsPerCommand);
    }

    [Fact]
    public async Task Postgres_KilledMidBatch_LosesNothingAcknowledged_AndShowsNoHalfBatch()
    {
        var schema = $"crash{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
        var acknowledged = await CrashRun.RunAndKillAsync(Writer, 120, "postgres", Postgres.ConnectionString, schema);
        await CrashRun.VerifyAsync(new PostgresJournalStore(Postgres.DataSource, new PostgresOptions { Schema = schema }), acknowledged, entities: 20, EventsPerCommand);
    }
}
