using System.Diagnostics;
using System.Globalization;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.TestKit;

/// <summary>
/// Crash tests of a journal: a writer process (a <c>.dll</c> beside the tests) persists forever
/// through <c>crash-0</c> … <c>crash-{n-1}</c>, each command one atomic write, and prints
/// <c>ack {persistence id} {sequence nr}</c> once a command's events are durable. The test kills
/// it with SIGKILL mid-stream and checks the journal: nothing acknowledged is lost, there are
/// no gaps, and no atomic write was cut in half.
/// </summary>
public static class CrashRun
{
    /// <summary>Runs the writer until <paramref name="acks"/> acknowledgements, then SIGKILLs it; the highest acknowledged sequence number per entity.</summary>
    public static async Task<Dictionary<string, long>> RunAndKillAsync(string writerDll, int acks, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, writerDll), .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var acknowledged = new Dictionary<string, long>();
        var seen = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (seen < acks)
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token).ConfigureAwait(false)
                ?? throw new TestKitException($"The crash writer exited early: {await process.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
            if (Record(line, acknowledged))
            {
                seen++;
            }
        }

        process.Kill(entireProcessTree: true); // SIGKILL: no shutdown hooks, no flush
        string? rest;
        while ((rest = await process.StandardOutput.ReadLineAsync().ConfigureAwait(false)) is not null)
        {
            Record(rest, acknowledged); // acknowledgements already in the pipe count too
        }

        await process.WaitForExitAsync().ConfigureAwait(false);
        return acknowledged;
    }

    /// <summary>Checks <paramref name="journal"/> after the kill.</summary>
    /// <exception cref="TestKitException">An acknowledged event is missing, a sequence has a gap, or an atomic write is incomplete.</exception>
    public static async Task VerifyAsync(IJournalStore journal, IReadOnlyDictionary<string, long> acknowledged, int entities, int eventsPerCommand)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(acknowledged);
        await journal.InitializeAsync().ConfigureAwait(false);
        if (acknowledged.Count == 0)
        {
            throw new TestKitException("The crash writer acknowledged nothing before it was killed.");
        }

        for (var i = 0; i < entities; i++)
        {
            var pid = $"crash-{i}";
            var count = 0L;
            await foreach (var e in journal.ReadEventsAsync(pid, 1, long.MaxValue).ConfigureAwait(false))
            {
                if (e.SequenceNr != ++count)
                {
                    throw new TestKitException($"{pid} has event {e.SequenceNr} where {count} was expected: a gap.");
                }
            }

            if (count % eventsPerCommand != 0)
            {
                throw new TestKitException($"{pid} has {count} events: a write of {eventsPerCommand} was cut in half.");
            }

            // More stored than acknowledged is allowed: a write in flight at the kill may have
            // committed before its acknowledgement was printed.
            var acked = acknowledged.GetValueOrDefault(pid);
            if (count < acked)
            {
                throw new TestKitException($"{pid} acknowledged {acked} events but only {count} are stored.");
            }
        }
    }

    private static bool Record(string line, Dictionary<string, long> acknowledged)
    {
        if (!line.StartsWith("ack ", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = line.Split(' ');
        acknowledged[parts[1]] = Math.Max(acknowledged.GetValueOrDefault(parts[1]), long.Parse(parts[2], CultureInfo.InvariantCulture));
        return true;
    }
}
