using System.Text;
using Confluent.Kafka;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Native;
using Coordinator.Kafka.Sharding;

namespace Coordinator.Kafka.Tests;

/// <summary>The embedded broker under the real Kafka client, over the real wire protocol.</summary>
public sealed class EmbeddedKafkaTests
{
    private static IProducer<string, string> Producer(EmbeddedKafka kafka, Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            Partitioner = Partitioner.Murmur2, // Kafka's Java-compatible default for keyed records
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            MessageTimeoutMs = 30_000,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<string, string>(config).Build();
    }

    private static IConsumer<string, string> Consumer(EmbeddedKafka kafka, string group) => new ConsumerBuilder<string, string>(new ConsumerConfig
    {
        BootstrapServers = kafka.BootstrapServers,
        GroupId = group,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        SessionTimeoutMs = 6_000,
        HeartbeatIntervalMs = 1_000,
    }).Build();

    internal static List<ConsumeResult<string, string>> ConsumeAll(IConsumer<string, string> consumer, int expected, TimeSpan timeout)
    {
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        Assert.True(results.Count == expected, $"expected {expected} records within {timeout.TotalSeconds} s, consumed {results.Count}");
        return results;
    }

    [Fact]
    public void NativeLibrary_IsTheBundledCopyConfluentLoaded_OneFileForClientsAndBroker()
    {
        using var kafka = new EmbeddedKafka();
        Assert.Equal("2.16.0", LibRdKafka.Version);
        Assert.Equal(Library.VersionString, LibRdKafka.Version);
        if (OperatingSystem.IsLinux())
        {
            // One file mapped: our mock-cluster calls and Confluent's clients share it.
            var loaded = Assert.Single(LibRdKafka.LoadedPaths());
            Assert.Equal(loaded, LibRdKafka.LoadedFrom);
            Assert.Contains($"{Path.DirectorySeparatorChar}runtimes{Path.DirectorySeparatorChar}", loaded, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ProduceThenConsumeInAGroup_RoundTripsEveryRecord()
    {
        using var kafka = new EmbeddedKafka(brokers: 3);
        Assert.Matches(@"^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$", kafka.BootstrapServers);
        kafka.CreateTopic("orders", partitions: 4, replicationFactor: 3);
        using (var producer = Producer(kafka))
        {
            for (var i = 0; i < 100; i++)
            {
                await producer.ProduceAsync("orders", new Message<string, string> { Key = $"order-{i}", Value = $"placed {i}" });
            }
        }

        using var consumer = Consumer(kafka, "round-trip");
        consumer.Subscribe("orders");
        var records = ConsumeAll(consumer, 100, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"order-{i}").Order(), records.Select(r => r.Message.Key).Order());
        consumer.Commit(records.GroupBy(r => r.TopicPartition).Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1)));
        consumer.Close();
    }

    /// <summary>
    /// Shard ids are partitions computed by <see cref="Murmur2Partitioner"/>; they must be the
    /// partitions the records actually land in, as read back from the broker.
    /// </summary>
    [Fact]
    public void Murmur2Partitioner_MatchesWhereTheBrokerHoldsEachRecord()
    {
        using var kafka = new EmbeddedKafka();
        const int partitions = 8;
        kafka.CreateTopic("cases", partitions);
        var keys = Enumerable.Range(0, 2_000).Select(i => i % 7 == 0 ? $"kündé-{i}-✓" : $"case-{i}").Append(string.Empty).Append("x").ToList();
        using (var producer = Producer(kafka))
        {
            foreach (var key in keys)
            {
                producer.Produce("cases", new Message<string, string> { Key = key, Value = "v" });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        using var consumer = Consumer(kafka, "parity");
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset("cases", p, Offset.Beginning)));
        var records = ConsumeAll(consumer, keys.Count, TimeSpan.FromSeconds(30));
        var mismatches = records.Where(r => r.Partition.Value != Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(r.Message.Key ?? string.Empty), partitions)).ToList();
        Assert.Empty(mismatches.Select(m => $"{m.Message.Key}: broker {m.Partition.Value}, ours {Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(m.Message.Key ?? string.Empty), partitions)}"));
        Assert.Equal(partitions, records.Select(r => r.Partition.Value).Distinct().Count());
    }

    [Fact]
    public async Task BrokerDown_ThenUp_ProducerDeliversEverythingOnce()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("payments", partitions: 2);
        using var producer = Producer(kafka);
        await producer.ProduceAsync("payments", new Message<string, string> { Key = "warm", Value = "up" });

        kafka.SetBrokerDown(1);
        var pending = Enumerable.Range(0, 20).Select(i => producer.ProduceAsync("payments", new Message<string, string> { Key = $"p-{i}", Value = $"{i}" })).ToList();
        await Task.Delay(500);
        Assert.All(pending, p => Assert.False(p.IsCompleted, "nothing can be delivered while the broker is down"));
        kafka.SetBrokerUp(1);
        var delivered = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(delivered, d => Assert.Equal(PersistenceStatus.Persisted, d.Status));

        using var consumer = Consumer(kafka, "after-outage");
        consumer.Subscribe("payments");
        var records = ConsumeAll(consumer, 21, TimeSpan.FromSeconds(30));
        Assert.Equal(21, records.Select(r => r.Message.Key).Distinct().Count());
    }

    [Fact]
    public async Task InjectedProduceErrors_AreRetriedByTheIdempotentProducer_WithoutDuplicates()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("retries", partitions: 1);
        using var producer = Producer(kafka);
        await producer.ProduceAsync("retries", new Message<string, string> { Key = "warm", Value = "up" });
        kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut);

        var delivered = await producer.ProduceAsync("retries", new Message<string, string> { Key = "k", Value = "exactly once" });
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);

        using var consumer = Consumer(kafka, "retries");
        consumer.Assign(new TopicPartitionOffset("retries", 0, Offset.Beginning));
        var records = ConsumeAll(consumer, 2, TimeSpan.FromSeconds(20));
        Assert.Single(records, r => r.Message.Value == "exactly once");
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(500)) is { IsPartitionEOF: false } extra ? extra : null);
    }

    [Fact]
    public void CreateTopic_AfterDispose_Throws()
    {
        var kafka = new EmbeddedKafka();
        kafka.Dispose();
        Assert.Throws<ObjectDisposedException>(() => kafka.CreateTopic("late", 1));
    }
}

public sealed class Murmur2PartitionerTests
{
    /// <summary>The vectors of Kafka's own Java client tests (UtilsTest.testMurmur2).</summary>
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Hash_MatchesKafkasJavaClient(string key, int expected)
        => Assert.Equal(expected, unchecked((int)Murmur2Partitioner.Hash(Encoding.ASCII.GetBytes(key))));

    [Fact]
    public void Partition_IsStableAndInRange()
    {
        var key = Encoding.UTF8.GetBytes("case-42");
        var first = Murmur2Partitioner.Partition(key, 12);
        Assert.InRange(first, 0, 11);
        Assert.Equal(first, Murmur2Partitioner.Partition(key, 12));
        Assert.Equal(0, Murmur2Partitioner.Partition(key, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Murmur2Partitioner.Partition(key, 0));
    }
}
