using System.Diagnostics;
using Coordinator.Actors.Persistence;
using Coordinator.Actors.TestKit;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// A real process persists through Akka persistent actors on our plugin and is killed with
/// SIGKILL mid-stream. Whatever it acknowledged must be in the journal, with no gap, and every
/// atomic write (25 events of one PersistAll) must be there entirely or not at all.
/// </summary>
public sealed class CrashTests
{
    private const int EventsPerCommand = 25;

    [Fact]
    public async Task OurSqlitePlugin_KilledMidBatch_LosesNothingAcknowledged_AndShowsNoHalfBatch()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("coordinator-akka-crash-").FullName, "journal.db");
        var acknowledged = await RunAndKillAsync("sqlite", file);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await VerifyAsync(new SqliteJournalStore(new SqliteStorage(file)), acknowledged);
    }

    [Fact]
    public async Task OurPostgresPlugin_KilledMidBatch_LosesNothingAcknowledged_AndShowsNoHalfBatch()
    {
        var schema = $"akcrash{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
        try
        {
            var acknowledged = await RunAndKillAsync("postgres", TestPostgres.ConnectionString, schema);
            await VerifyAsync(new PostgresJournalStore(TestDatabase.DataSource, new PostgresOptions { Schema = schema }), acknowledged);
        }
        finally
        {
            TestDatabase.DropSchema(schema);
        }
    }

    private static async Task<Dictionary<string, long>> RunAndKillAsync(params string[] arguments)
    {
        var writer = Path.Combine(AppContext.BaseDirectory, "Coordinator.Persistence.Akka.CrashWriter.dll");
        var start = new ProcessStartInfo("dotnet", [writer, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var acknowledged = new Dictionary<string, long>();
        var acks = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (acks < 200)
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                ?? throw new InvalidOperationException($"The crash writer exited early: {await process.StandardError.ReadToEndAsync()}");
            if (Record(line, acknowledged))
            {
                acks++;
            }
        }

        process.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks, no flush
        string? rest;
        while ((rest = await process.StandardOutput.ReadLineAsync()) is not null)
        {
            Record(rest, acknowledged); // acknowledgements already in the pipe count too
        }

        await process.WaitForExitAsync();
        return acknowledged;
    }

    private static bool Record(string line, Dictionary<string, long> acknowledged)
    {
        if (!line.StartsWith("ack ", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = line.Split(' ');
        acknowledged[parts[1]] = Math.Max(acknowledged.GetValueOrDefault(parts[1]), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }

    private static async Task VerifyAsync(IJournalStore journal, Dictionary<string, long> acknowledged)
    {
        await journal.InitializeAsync();
        Assert.NotEmpty(acknowledged);
        for (var i = 0; i < 20; i++)
        {
            var pid = $"crash-{i}";
            var sequence = new List<long>();
            await foreach (var e in journal.ReadEventsAsync(pid, 1, long.MaxValue))
            {
                sequence.Add(e.SequenceNr);
            }

            Assert.Equal(Enumerable.Range(1, sequence.Count).Select(x => (long)x), sequence); // no gaps
            Assert.True(sequence.Count % EventsPerCommand == 0, $"{pid} has {sequence.Count} events: a write of {EventsPerCommand} was cut in half");
            var acked = acknowledged.GetValueOrDefault(pid);
            Assert.True(sequence.Count >= acked, $"{pid} acknowledged {acked} events but only {sequence.Count} are stored");

            // More stored than acknowledged is allowed: a write in flight at the kill may have
            // committed before its acknowledgement was printed.
        }
    }
}
