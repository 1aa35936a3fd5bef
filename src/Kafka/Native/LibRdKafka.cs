using System.Runtime.InteropServices;

namespace Coordinator.Kafka.Native;

/// <summary>
/// The one librdkafka in the process. Confluent.Kafka loads the build it picks from
/// <c>librdkafka.redist</c> (on Debian 12 the bundled <c>centos8-librdkafka.so</c>: the generic
/// <c>librdkafka.so</c> links <c>libsasl2.so.3</c>, which Debian lacks); our own P/Invokes (the
/// embedded broker's mock-cluster functions) are then resolved to that same file, so a mock
/// cluster and the clients that talk to it share one copy of the library and its globals.
/// </summary>
public static class LibRdKafka
{
    private const string ImportName = "librdkafka";

    private static readonly Lazy<string> Loaded = new(Load);

    /// <summary>Makes sure Confluent.Kafka and the embedded broker use the same native library.</summary>
    /// <exception cref="DllNotFoundException">Confluent.Kafka could not load librdkafka; the message says why.</exception>
    public static void EnsureLoaded() => _ = Loaded.Value;

    /// <summary>The file librdkafka was loaded from, e.g. <c>…/runtimes/linux-x64/native/centos8-librdkafka.so</c>.</summary>
    public static string LoadedFrom => Loaded.Value;

    /// <summary>The librdkafka version string, e.g. "2.16.0".</summary>
    public static string Version
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8(Interop.rd_kafka_version_str()) ?? "unknown";
        }
    }

    private static string Load()
    {
        try
        {
            // Confluent picks and loads its build; false only means it had already done so.
            Confluent.Kafka.Library.Load();
        }
        catch (Exception ex) when (ex is DllNotFoundException or InvalidOperationException or EntryPointNotFoundException)
        {
            throw new DllNotFoundException($"Confluent.Kafka could not load librdkafka from the librdkafka.redist package ({ex.Message}). Restore the solution so the package's runtimes/<rid>/native folder is next to the application.", ex);
        }

        var path = LoadedPaths() switch
        {
            [var only] => only,
            [] => ImportName, // not Linux: the platform's loader finds the same file Confluent's did
            var several => throw new DllNotFoundException($"Several copies of librdkafka are loaded ({string.Join(", ", several)}); the embedded broker must share one with Confluent.Kafka. Remove the other copy from the library path."),
        };
        var handle = path == ImportName
            ? NativeLibrary.Load(ImportName, typeof(Confluent.Kafka.Library).Assembly, null)
            : NativeLibrary.Load(path);
        NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, (name, _, _) => name == ImportName ? handle : 0);
        return path;
    }

    /// <summary>The librdkafka files mapped into this process (Linux; empty elsewhere).</summary>
    public static IReadOnlyList<string> LoadedPaths()
    {
        const string maps = "/proc/self/maps";
        if (!OperatingSystem.IsLinux() || !File.Exists(maps))
        {
            return [];
        }

        return [.. File.ReadLines(maps)
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var start and >= 0 ? line[start..] : "")
            .Where(path => Path.GetFileName(path).Contains("librdkafka", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)];
    }
}
