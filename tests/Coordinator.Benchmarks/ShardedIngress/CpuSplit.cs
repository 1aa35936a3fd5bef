using System.Diagnostics;

namespace Coordinator.Benchmarks.ShardedIngress;

/// <summary>CPU time (ms) of the ingress thread, this whole process, and every PostgreSQL server process, from /proc.</summary>
internal readonly record struct CpuSplit(double IngressThread, double Coordinator, double Postgres)
{
    private static readonly double TickMs = 1000.0 / 100; // USER_HZ is 100 on Linux

    public double Total => Coordinator + Postgres;

    public static CpuSplit Read()
    {
        double ingress = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("ingress", StringComparison.Ordinal))
            {
                ingress += Ticks(Path.Combine(task, "stat"));
            }
        }

        double postgres = 0;
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(process, "comm")).Trim() == "postgres")
                {
                    postgres += Ticks(Path.Combine(process, "stat"));
                }
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }
        }

        return new CpuSplit(ingress * TickMs, Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, postgres * TickMs);
    }

    public static CpuSplit operator -(CpuSplit a, CpuSplit b) => new(a.IngressThread - b.IngressThread, a.Coordinator - b.Coordinator, a.Postgres - b.Postgres);

    public CpuSplit Per(double thousands) => new(IngressThread / thousands, Coordinator / thousands, Postgres / thousands);

    public override string ToString() => $"ingress thread {IngressThread:N1} ms, whole coordinator {Coordinator:N1} ms, PostgreSQL {Postgres:N1} ms";

    private static double Ticks(string statPath)
    {
        // Fields after the parenthesised command: utime and stime are the 12th and 13th.
        var stat = File.ReadAllText(statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return double.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + double.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }
}
