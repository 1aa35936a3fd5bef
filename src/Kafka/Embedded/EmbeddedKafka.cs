using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Coordinator.Kafka.Native;
using Microsoft.Extensions.Logging;

namespace Coordinator.Kafka.Embedded;

/// <summary>
/// A Kafka-protocol broker inside this process: librdkafka's mock cluster, serving the real wire
/// protocol (produce, fetch, consumer groups with committed offsets, idempotent and transactional
/// producers) on <c>127.0.0.1</c> at ephemeral ports. It backs the tests and the host's embedded
/// default; real Kafka stays the production target, so nothing may rely on mock-only behaviour.
/// Limits: in memory only; topics are created here (it has no CreateTopics handler); a member's
/// rejoin waits <c>session.timeout.ms - 1 s</c>, so keep session timeouts short in tests.
/// </summary>
public sealed class EmbeddedKafka : IDisposable
{
    private readonly object _gate = new();
    private nint _handle;
    private nint _cluster;
    private GCHandle _logger;

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers (ids 1…n).</summary>
    /// <param name="brokers">How many brokers.</param>
    /// <param name="logger">Where the cluster's librdkafka log lines go (errors, and the <paramref name="debug"/> contexts); null for librdkafka's default, stderr.</param>
    /// <param name="debug">librdkafka debug contexts to log, e.g. <c>mock</c> to trace every request the brokers serve; null for none.</param>
    /// <exception cref="InvalidOperationException">librdkafka refused to create the cluster.</exception>
    /// <exception cref="ArgumentException"><paramref name="debug"/> names no librdkafka debug context.</exception>
    public EmbeddedKafka(int brokers = 1, ILogger? logger = null, string? debug = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        LibRdKafka.EnsureLoaded();
        var error = new byte[512];
        var conf = Interop.rd_kafka_conf_new();

        // The owning handle never connects anywhere; keep it quiet.
        Interop.rd_kafka_conf_set(conf, "log_level", "3", error, (nuint)error.Length);
        if (debug is not null)
        {
            // librdkafka logs debug contexts at level 7 only; the owning handle's notices stay quiet (it has no bootstrap.servers, on purpose).
            Interop.rd_kafka_conf_set(conf, "log_level", "7", error, (nuint)error.Length);
            if (Interop.rd_kafka_conf_set(conf, "debug", debug, error, (nuint)error.Length) != 0)
            {
                Interop.rd_kafka_conf_destroy(conf);
                throw new ArgumentException($"debug '{debug}' is not a list of librdkafka debug contexts ({Text(error)}); use e.g. \"mock\" or \"mock,protocol\".", nameof(debug));
            }
        }

        if (logger is not null)
        {
            _logger = GCHandle.Alloc(logger);
            Interop.rd_kafka_conf_set_opaque(conf, GCHandle.ToIntPtr(_logger));
            unsafe
            {
                Interop.rd_kafka_conf_set_log_cb(conf, &OnLog);
            }
        }

        _handle = Interop.rd_kafka_new(Interop.RdKafkaProducer, conf, error, (nuint)error.Length);
        if (_handle == 0)
        {
            FreeLogger();
            throw new InvalidOperationException($"librdkafka could not create the handle that owns the embedded broker: {Text(error)}");
        }

        _cluster = Interop.rd_kafka_mock_cluster_new(_handle, brokers);
        if (_cluster == 0)
        {
            Interop.rd_kafka_destroy(_handle);
            _handle = 0;
            FreeLogger();
            throw new InvalidOperationException("librdkafka could not start the embedded (mock) Kafka cluster.");
        }

        BrokerCount = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(Interop.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("The embedded Kafka cluster reported no bootstrap address.");
    }

    /// <summary>
    /// Consumer settings for clients of this broker. A real broker answers a fetch as soon as
    /// <c>fetch.min.bytes</c> have arrived; the mock broker holds an empty fetch for the whole
    /// <c>fetch.wait.max.ms</c> (librdkafka default 500 ms) even when records arrive meanwhile, which
    /// would add up to half a second to every record's latency. A 10 ms wait is also correct, if
    /// chattier, against a real broker.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ConsumerSettings { get; } = new Dictionary<string, string>
    {
        ["fetch.wait.max.ms"] = "10",
    };

    /// <summary>Where clients connect, e.g. <c>127.0.0.1:40123,127.0.0.1:40125</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Brokers in the cluster, with ids 1 to this number.</summary>
    public int BrokerCount { get; }

    /// <summary>Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions.</summary>
    /// <exception cref="InvalidOperationException">The broker refused; the message says why.</exception>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        Check(Interop.rd_kafka_mock_topic_create(Cluster, topic, partitions, Math.Min(replicationFactor, BrokerCount)), $"create topic '{topic}'");
    }

    /// <summary>Takes broker <paramref name="brokerId"/> down: its connections close and new ones are refused.</summary>
    public void SetBrokerDown(int brokerId) => Check(Interop.rd_kafka_mock_broker_set_down(Cluster, brokerId), $"take broker {brokerId} down");

    /// <summary>Brings broker <paramref name="brokerId"/> back up.</summary>
    public void SetBrokerUp(int brokerId) => Check(Interop.rd_kafka_mock_broker_set_up(Cluster, brokerId), $"bring broker {brokerId} up");

    /// <summary>Makes the next requests of <paramref name="apiKey"/> fail with <paramref name="errors"/>, one per request.</summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params Confluent.Kafka.ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Interop.rd_kafka_mock_push_request_errors_array(Cluster, (short)apiKey, (nuint)errors.Length, [.. errors.Select(e => (int)e)]);
    }

    /// <summary>Drops injected errors of <paramref name="apiKey"/> not yet used.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey) => Interop.rd_kafka_mock_clear_request_errors(Cluster, (short)apiKey);

    /// <summary>Stops the cluster; connected clients see their brokers disappear.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != 0)
            {
                Interop.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = 0;
            }

            if (_handle != 0)
            {
                Interop.rd_kafka_destroy(_handle);
                _handle = 0;
            }

            FreeLogger(); // after the handle: it logs until destroyed
        }
    }

    /// <summary>librdkafka's log callback for the owning handle; called on librdkafka's threads.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(nint rk, int level, nint facility, nint text)
    {
        try
        {
            var opaque = Interop.rd_kafka_opaque(rk);
            if (opaque != 0 && GCHandle.FromIntPtr(opaque).Target is ILogger logger)
            {
                var mapped = KafkaLog.Level((Confluent.Kafka.SyslogLevel)level);
                if (logger.IsEnabled(mapped))
                {
                    var client = Marshal.PtrToStringUTF8(Interop.rd_kafka_name(rk)) ?? "embedded";
                    var facilityText = Marshal.PtrToStringUTF8(facility) ?? "";
                    var line = Marshal.PtrToStringUTF8(text) ?? "";
                    KafkaLog.Librdkafka(logger, mapped, client, facilityText, line);
                }
            }
        }
        catch (Exception)
        {
            // An exception must not unwind into librdkafka; a lost log line is the lesser harm.
        }
    }

    private void FreeLogger()
    {
        if (_logger.IsAllocated)
        {
            _logger.Free();
        }
    }

    private nint Cluster => _cluster != 0 ? _cluster : throw new ObjectDisposedException(nameof(EmbeddedKafka));

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"The embedded Kafka cluster could not {what}: {Interop.ErrorText(error)}.");
        }
    }

    private static string Text(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }
}

/// <summary>Kafka protocol request types, for fault injection.</summary>
public enum KafkaApiKey : short
{
    /// <summary>Produce.</summary>
    Produce = 0,

    /// <summary>Fetch.</summary>
    Fetch = 1,

    /// <summary>ListOffsets.</summary>
    ListOffsets = 2,

    /// <summary>Metadata.</summary>
    Metadata = 3,

    /// <summary>OffsetCommit.</summary>
    OffsetCommit = 8,

    /// <summary>OffsetFetch.</summary>
    OffsetFetch = 9,

    /// <summary>FindCoordinator.</summary>
    FindCoordinator = 10,

    /// <summary>JoinGroup.</summary>
    JoinGroup = 11,

    /// <summary>Heartbeat.</summary>
    Heartbeat = 12,

    /// <summary>SyncGroup.</summary>
    SyncGroup = 14,

    /// <summary>InitProducerId.</summary>
    InitProducerId = 22,
}
