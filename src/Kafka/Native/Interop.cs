using System.Runtime.InteropServices;

namespace Coordinator.Kafka.Native;

/// <summary>The few librdkafka functions the embedded broker needs (rdkafka.h, rdkafka_mock.h).</summary>
internal static partial class Interop
{
    private const string Library = "librdkafka";

    internal const int RdKafkaProducer = 0;

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_version_str();

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_conf_new();

    [LibraryImport(Library)]
    internal static partial void rd_kafka_conf_destroy(nint conf);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_conf_set(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    internal static unsafe partial void rd_kafka_conf_set_log_cb(nint conf, delegate* unmanaged[Cdecl]<nint, int, nint, nint, void> logCb);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_conf_set_opaque(nint conf, nint opaque);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_opaque(nint rk);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_name(nint rk);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_new(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_destroy(nint rk);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_err2str(int err);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_mock_cluster_new(nint rk, int brokerCount);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_mock_cluster_destroy(nint mcluster);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_mock_cluster_bootstraps(nint mcluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_mock_topic_create(nint mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library)]
    internal static partial int rd_kafka_mock_broker_set_down(nint mcluster, int brokerId);

    [LibraryImport(Library)]
    internal static partial int rd_kafka_mock_broker_set_up(nint mcluster, int brokerId);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_mock_push_request_errors_array(nint mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_mock_clear_request_errors(nint mcluster, short apiKey);

    internal static string ErrorText(int error) => Marshal.PtrToStringUTF8(rd_kafka_err2str(error)) ?? $"error {error}";
}
