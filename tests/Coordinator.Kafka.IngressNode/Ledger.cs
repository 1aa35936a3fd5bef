using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Persistence.Abstractions;
using Coordinator.TestKit;
using Microsoft.Extensions.Logging;

namespace Coordinator.Kafka.IngressNode;

/// <summary>Data of a <c>ledger.posted</c> record.</summary>
/// <param name="Amount">Signed amount; never 0.</param>
/// <param name="Memo">Free text.</param>
public sealed record Posted(long Amount, string? Memo)
{
    /// <summary>Required, so a record without it violates the contract.</summary>
    [JsonRequired]
    public long Amount { get; init; } = Amount;
}

/// <summary>The ledger's record contracts, journal events and JSON.</summary>
public static class Ledger
{
    /// <summary>Logging when none is given: the console when <c>COORDINATOR_TEST_LOG</c> is set, else none.</summary>
    public static Microsoft.Extensions.Logging.ILoggerFactory DefaultLogging { get; } = Environment.GetEnvironmentVariable("COORDINATOR_TEST_LOG") is { Length: > 0 }
        ? Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddConsole())
        : Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>Consumer options of a test node on the embedded broker: a 6 s session, 1 s heartbeats, and the embedded broker's fetch settings.</summary>
    public static KafkaOptions ConsumerOptions(string bootstrapServers, string group, string topic)
    {
        var options = new KafkaOptions { BootstrapServers = bootstrapServers, GroupId = group, SessionTimeout = TimeSpan.FromSeconds(6) };
        options.Topics.Add(topic);
        options.Client["heartbeat.interval.ms"] = "1000";
        foreach (var (name, value) in EmbeddedKafka.ConsumerSettings)
        {
            options.Client[name] = value;
        }

        return options;
    }

    /// <summary>The record type.</summary>
    public const string PostedType = "ledger.posted";

    /// <summary>How <see cref="Posted"/> is read, for tests that register contracts of their own.</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<Posted> PostedJson => LedgerJson.Default.Posted;

    /// <summary>Contracts: <c>ledger.posted</c> v1, amount required and non-zero.</summary>
    public static RecordContracts Contracts() => new RecordContracts()
        .Register(PostedType, 1, LedgerJson.Default.Posted, p => p.Amount == 0 ? "data.amount is 0; post a non-zero amount." : null);

    /// <summary>The envelope of one posting, as a producer publishes it.</summary>
    public static byte[] Envelope(string eventId, long amount, string type = PostedType, int version = 1)
        => JsonSerializer.SerializeToUtf8Bytes(new EnvelopeDto(eventId, type, version, new Posted(amount, null)), LedgerJson.Default.EnvelopeDto);

    /// <summary>An idempotent, acks=all producer on <paramref name="kafka"/> that places keys as Kafka's default partitioner does.</summary>
    public static IProducer<string, byte[]> Producer(EmbeddedKafka kafka, int lingerMs = 2) => new ProducerBuilder<string, byte[]>(new ProducerConfig
    {
        BootstrapServers = kafka.BootstrapServers,
        Partitioner = Partitioner.Murmur2,
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = lingerMs,
        MessageTimeoutMs = 120_000,
        QueueBufferingMaxMessages = 1_000_000,
    }).Build();

    /// <summary>Waits until <paramref name="group"/>'s committed offsets reach the end of every partition of <paramref name="topic"/>.</summary>
    public static async Task WaitCommittedToEndAsync(EmbeddedKafka kafka, string group, string topic, int partitions, TimeSpan timeout)
    {
        using var probe = CommitProbe(kafka, group);
        var tps = Partitions(topic, partitions);
        var ends = tps.Select(tp => probe.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value).ToList();
        await Eventually.TrueAsync(
            () => Committed(probe, tps).SequenceEqual(ends),
            $"committed offsets of group '{group}' reach the partition ends {string.Join(",", ends)}",
            timeout);
    }

    /// <summary><paramref name="group"/>'s committed offset on each partition of <paramref name="topic"/> (-1001 where it committed none).</summary>
    public static IReadOnlyList<long> Committed(EmbeddedKafka kafka, string group, string topic, int partitions)
    {
        using var probe = CommitProbe(kafka, group);
        return Committed(probe, Partitions(topic, partitions));
    }

    private static IConsumer<byte[], byte[]> CommitProbe(EmbeddedKafka kafka, string group)
        => new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = group }).Build();

    private static List<TopicPartition> Partitions(string topic, int partitions) => [.. Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p))];

    private static List<long> Committed(IConsumer<byte[], byte[]> probe, List<TopicPartition> partitions)
        => [.. probe.Committed(partitions, TimeSpan.FromSeconds(10)).OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];

    /// <summary>The ledger's persistence id.</summary>
    public static string PersistenceId(string key) => $"ledger-{key}";

    /// <summary>Reads <see cref="IngressApplied"/> rows out of a journal.</summary>
    public static async Task<List<(StoredEvent Row, IngressApplied Applied)>> ReadAppliedAsync(IJournalStore journal)
    {
        var registry = new EventTypeRegistry().AddIngress();
        var rows = new List<(StoredEvent, IngressApplied)>();
        long after = 0;
        while (true)
        {
            var page = await journal.ReadAllAsync(after, 5_000);
            if (page.Count == 0)
            {
                return rows;
            }

            foreach (var row in page)
            {
                rows.Add((row, (IngressApplied)registry.Deserialize(row.Event.TypeName, row.Event.Payload)));
            }

            after = page[^1].Ordering;
        }
    }

    /// <summary>Envelope as published.</summary>
    /// <param name="Id">Business event id.</param>
    /// <param name="Type">Event type.</param>
    /// <param name="Version">Contract version.</param>
    /// <param name="Data">The posting.</param>
    public sealed record EnvelopeDto(string Id, string Type, int Version, Posted Data);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Posted))]
[JsonSerializable(typeof(Ledger.EnvelopeDto))]
internal sealed partial class LedgerJson : JsonSerializerContext;
