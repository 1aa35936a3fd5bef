using System.Runtime.InteropServices;

namespace Coordinator.Kafka.Native;

/// <summary>
/// Loads Debian's <c>librdkafka.so.1</c> for Confluent.Kafka. Our package feed has no
/// <c>librdkafka.redist</c> (an empty placeholder satisfies the dependency), and
/// <c>Confluent.Kafka.Library.Load(path)</c> fails on Debian 12 (it looks for <c>libdl</c>), so a
/// DLL import resolver maps the library name instead, once per process.
/// </summary>
public static class LibRdKafka
{
    /// <summary>The shared library loaded.</summary>
    public const string LibraryName = "librdkafka.so.1";

    private static readonly Lazy<nint> Handle = new(Load);

    /// <summary>Makes sure Confluent.Kafka and the embedded broker find the native library.</summary>
    /// <exception cref="DllNotFoundException">The library is not installed; the message says which package to install.</exception>
    public static void EnsureLoaded() => _ = Handle.Value;

    private static nint Load()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out var handle))
        {
            throw new DllNotFoundException($"{LibraryName} was not found. Install Debian's librdkafka1 package (apt-get install librdkafka1); ./build.sh does this for you.");
        }

        DllImportResolver resolver = (name, _, _) => name.StartsWith("librdkafka", StringComparison.Ordinal) ? handle : 0;
        NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, resolver);
        NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, resolver);
        return handle;
    }

    /// <summary>The librdkafka version string, e.g. "2.0.2".</summary>
    public static string Version
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8(Interop.rd_kafka_version_str()) ?? "unknown";
        }
    }
}
