using System.Collections.Immutable;
using System.Diagnostics;
using Coordinator.Workflows.Definitions;
using Coordinator.Workflows.Engine;
using Coordinator.Workflows.Guards;

namespace Coordinator.Benchmarks.Workflows;

/// <summary>
/// Decisions per second for the refund workflow (workflows/refund-approval.yaml) through the pure
/// engine on one thread: each instance takes its trigger (start, look-up requested) and its
/// look-up's answer (rules, approval tier by amount, guard checks, the refund call or a task or
/// a fast-track window); both are decisions, each applied to the state.
/// </summary>
internal static class WorkflowBenchmarks
{
    public static async Task<List<Figure>> RunAllAsync(int runs, bool quick)
    {
        var definition = LoadRefund();
        var instances = quick ? 20_000 : 200_000;
        var records = Enumerable.Range(0, 1_000).Select(Record).ToArray();
        var figure = await Harness.MeasureAsync("refund decisions through the pure engine, one thread", "decisions/s", true, "50,000 decisions/s (issue 14)", runs, () => Task.FromResult(Decide(definition, records, instances)));
        return [figure];
    }

    private static double Decide(WorkflowDefinition definition, ImmutableSortedDictionary<string, object?>[] records, int instances)
    {
        var guards = GuardRails.Default;
        var at = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var lookup = ImmutableSortedDictionary.CreateRange<string, object?>(StringComparer.Ordinal, [new("refundsLast30Days", 1m), new("status", "active")]);
        var decisions = 0L;
        var calls = 0L;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < instances; i++)
        {
            var record = records[i % records.Length];
            var state = InstanceState.Initial;
            var started = WorkflowEngine.Decide(definition, state, new TriggerReceived(at, record), guards);
            state = WorkflowEngine.ApplyAll(state, started.Events);
            var key = ((CallConnector)started.Effects[^1]).Key;
            var decided = WorkflowEngine.Decide(definition, state, new ConnectorOutcome(at, key, true, lookup), guards);
            state = WorkflowEngine.ApplyAll(state, decided.Events);
            calls += decided.Effects.Length;
            decisions += 2;
        }

        var seconds = Harness.Seconds(start);
        if (calls == 0)
        {
            throw new InvalidOperationException("the benchmark decided nothing");
        }

        return decisions / seconds;
    }

    /// <summary>Refunds spread over the tiers: instant (up to 50), fast-track (up to 500), full review, and a chargeback rejected by rule.</summary>
    private static ImmutableSortedDictionary<string, object?> Record(int n)
    {
        var amount = (n % 4) switch { 0 => 25m, 1 => 320m, 2 => 800m, _ => 45m };
        return ImmutableSortedDictionary.CreateRange<string, object?>(StringComparer.Ordinal,
        [
            new("refundId", $"r-{n}"), new("orderId", $"o-{n}"), new("customerId", $"c-{n % 97}"),
            new("amount", amount + (n % 10)), new("currency", "EUR"), new("reason", n % 13 == 0 ? "chargeback" : "damaged"),
        ]);
    }

    private static WorkflowDefinition LoadRefund()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Coordinator.sln")))
        {
            dir = dir.Parent;
        }

        var folder = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("run the benchmarks from inside the repository"), "workflows");
        var catalog = WorkflowLoader.LoadCatalog("catalog.yaml", File.ReadAllText(Path.Combine(folder, "catalog.yaml")), out _);
        var result = WorkflowLoader.Load("workflows/refund-approval.yaml", File.ReadAllText(Path.Combine(folder, "refund-approval.yaml")), catalog, GuardRails.Default);
        return result.IsValid ? result.Definitions[0] : throw new InvalidOperationException(string.Join("\n", result.Errors));
    }
}
