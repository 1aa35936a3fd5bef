using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace Coordinator.Kafka.Configuration;

/// <summary>
/// How the coordinator talks to Kafka: section <c>Coordinator:Kafka</c>. Security settings (SASL,
/// SSL) and any other librdkafka property pass through <see cref="Client"/>; the settings the
/// coordinator's guarantees depend on (manual offset commits, an idempotent producer with
/// <c>acks=all</c>) are enforced and cannot be overridden.
/// </summary>
public sealed partial class KafkaOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator:Kafka";

    private static readonly HashSet<string> Enforced = new(StringComparer.Ordinal)
    {
        "enable.auto.commit", "enable.auto.offset.store", "enable.idempotence", "acks", "request.required.acks", "partitioner", "group.id", "bootstrap.servers",
    };

    /// <summary>Brokers as <c>host:port</c>, comma-separated.</summary>
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>The consumer group of all coordinator nodes. <value>Default: <c>coordinator</c>.</value></summary>
    public string GroupId { get; set; } = "coordinator";

    /// <summary>Topics consumed.</summary>
    public IList<string> Topics { get; } = [];

    /// <summary>Consumer session timeout: how long a node may be silent before its partitions move. <value>Default: 10 s.</value></summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Further librdkafka properties, e.g. <c>security.protocol</c>, <c>sasl.mechanism</c>, <c>ssl.ca.location</c>.</summary>
    public IDictionary<string, string> Client { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Every problem with the values, each naming the setting and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            errors.Add($"{Section}:BootstrapServers is empty; set it to host:port[,host:port], e.g. kafka-1:9092,kafka-2:9092.");
        }
        else
        {
            foreach (var server in BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!HostPort().IsMatch(server))
                {
                    errors.Add($"{Section}:BootstrapServers contains '{server}', which is not host:port; use e.g. kafka-1:9092.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(GroupId))
        {
            errors.Add($"{Section}:GroupId is empty; every coordinator node of one deployment uses the same group id, e.g. coordinator.");
        }

        if (Topics.Count == 0)
        {
            errors.Add($"{Section}:Topics is empty; list the topics to consume ({Section}:Topics:0=orders).");
        }

        foreach (var topic in Topics)
        {
            if (!TopicName().IsMatch(topic))
            {
                errors.Add($"{Section}:Topics contains '{topic}'; Kafka topic names use letters, digits, '.', '_' and '-' (at most 249).");
            }
        }

        if (SessionTimeout < TimeSpan.FromSeconds(3) || SessionTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{Section}:SessionTimeout is {SessionTimeout}; set between 00:00:03 and 00:05:00 (default 00:00:10).");
        }

        foreach (var key in Client.Keys.Where(Enforced.Contains))
        {
            errors.Add($"{Section}:Client:{key} cannot be set: the coordinator sets it itself (manual offset commits, idempotent producer with acks=all). Remove it.");
        }

        if (errors.Count == 0)
        {
            // Let librdkafka judge the pass-through properties: it knows every name and value.
            try
            {
                using var probe = new ProducerBuilder<byte[], byte[]>(ProducerConfig()).Build();
            }
            catch (Exception ex) when (ex is KafkaException or ArgumentException or InvalidOperationException)
            {
                errors.Add($"{Section}:Client is rejected by librdkafka: {ex.Message}. Check the property names and values (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md).");
            }
        }

        return errors;
    }

    /// <summary>Producer settings: pass-through values, then the enforced idempotent, acks=all producer.</summary>
    public ProducerConfig ProducerConfig()
    {
        Native.LibRdKafka.EnsureLoaded();
        var config = new ProducerConfig(new Dictionary<string, string>(Client))
        {
            BootstrapServers = BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            Partitioner = Partitioner.Murmur2Random, // murmur2 for keyed records, as the Java client places them; random for records without a key
        };
        return config;
    }

    /// <summary>Consumer settings: pass-through values, then the enforced manual-commit consumer.</summary>
    public ConsumerConfig ConsumerConfig()
    {
        Native.LibRdKafka.EnsureLoaded();
        return new ConsumerConfig(new Dictionary<string, string>(Client))
        {
            BootstrapServers = BootstrapServers,
            GroupId = GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = (int)SessionTimeout.TotalMilliseconds,
            HeartbeatIntervalMs = (int)Math.Max(500, SessionTimeout.TotalMilliseconds / 6),
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        };
    }

    [GeneratedRegex(@"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPort();

    [GeneratedRegex(@"^[A-Za-z0-9._\-]{1,249}$", RegexOptions.CultureInvariant)]
    private static partial Regex TopicName();
}
