using System.Diagnostics;
using System.Globalization;

namespace Coordinator.Benchmarks;

/// <summary>One measured figure: the median and best of several runs after a warm-up.</summary>
internal sealed record Figure(string Name, string Unit, double Median, double Best, bool HigherIsBetter, string Bar)
{
    public static string Format(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("N1", CultureInfo.InvariantCulture),
        _ => value.ToString("N3", CultureInfo.InvariantCulture),
    };

    public override string ToString() => $"| {Name} | {Format(Median)} {Unit} | {Format(Best)} {Unit} | {Bar} |";
}

internal static class Harness
{
    /// <summary>Only benchmarks whose name contains this run (<c>--filter text</c>); the others report NaN.</summary>
    public static string? Filter { get; set; }

    /// <summary>Runs <paramref name="run"/> once to warm up, then <paramref name="runs"/> times; each run returns its value.</summary>
    public static async Task<Figure> MeasureAsync(string name, string unit, bool higherIsBetter, string bar, int runs, Func<Task<double>> run)
    {
        if (Filter is not null && !name.Contains(Filter, StringComparison.OrdinalIgnoreCase))
        {
            return new Figure(name, unit, double.NaN, double.NaN, higherIsBetter, bar);
        }

        Console.Error.Write($"{name}: warm-up");
        await run();
        var values = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            Collect();
            var value = await run();
            values.Add(value);
            Console.Error.Write($" {value.ToString("N2", CultureInfo.InvariantCulture)}");
        }

        Console.Error.WriteLine();
        values.Sort();
        var median = values[values.Count / 2];
        var best = higherIsBetter ? values[^1] : values[0];
        return new Figure(name, unit, median, best, higherIsBetter, bar);
    }

    public static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    public static double Seconds(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;
}
