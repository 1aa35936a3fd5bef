using Coordinator.Benchmarks;
using Coordinator.Benchmarks.AkkaPersistence;
using Coordinator.Benchmarks.ShardedIngress;
using Coordinator.Benchmarks.Steps;
using Coordinator.Benchmarks.Workflows;

// Usage: dotnet run -c Release --project tests/Coordinator.Benchmarks -- [akka-persistence] [sharded-ingress] [sharded-ingress-memory] [steps] [workflows] [--runs N] [--quick] [--keys N] [--filter name]
var quick = args.Contains("--quick");
var runsIndex = Array.IndexOf(args, "--runs");
var filterIndex = Array.IndexOf(args, "--filter");
Harness.Filter = filterIndex >= 0 && filterIndex + 1 < args.Length ? args[filterIndex + 1] : null;
var suites = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || (args[i - 1] != "--filter" && args[i - 1] != "--runs" && args[i - 1] != "--keys"))).ToHashSet(StringComparer.OrdinalIgnoreCase);
var runs = runsIndex >= 0 && runsIndex + 1 < args.Length ? int.Parse(args[runsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : (quick ? 1 : 5);

Console.Error.WriteLine($"Coordinator benchmarks: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}, {runs} runs after a warm-up");
var figures = new List<Figure>();
if (suites.Count == 0 || suites.Contains("akka-persistence"))
{
    figures.AddRange(await AkkaPersistenceBenchmarks.RunAllAsync(Math.Min(runs, 3), quick));
}

if (suites.Count == 0 || suites.Contains("sharded-ingress"))
{
    // One run after the warm-up unless --runs says otherwise: the suite stays near 3 minutes.
    figures.AddRange(await ShardedIngressBenchmarks.RunAllAsync(runsIndex >= 0 ? runs : 1, quick));
}

if (suites.Contains("sharded-ingress-memory"))
{
    var keysIndex = Array.IndexOf(args, "--keys");
    figures.AddRange(await ShardedIngressBenchmarks.MemoryAllAsync(quick, keysIndex >= 0 && keysIndex + 1 < args.Length ? int.Parse(args[keysIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : null));
}

if (suites.Count == 0 || suites.Contains("steps"))
{
    figures.AddRange(await StepBenchmarks.RunAllAsync(runs, quick));
}

if (suites.Count == 0 || suites.Contains("workflows"))
{
    figures.AddRange(await WorkflowBenchmarks.RunAllAsync(runs, quick));
}

Console.WriteLine("| benchmark | median | best | bar |");
Console.WriteLine("|---|---|---|---|");
foreach (var figure in figures)
{
    Console.WriteLine(figure);
}
