using System.Text;
using Confluent.Kafka;
using Coordinator.Contracts;
using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.Egress;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Sharding;

namespace Coordinator.Kafka.Tests;

public sealed class KafkaOptionsTests
{
    private static KafkaOptions Valid(Action<KafkaOptions>? change = null)
    {
        var options = new KafkaOptions { BootstrapServers = "kafka-1:9092,10.0.0.5:9093" };
        options.Topics.Add("orders");
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public void Valid_HasNoErrors_AndEnforcesTheGuarantees()
    {
        var options = Valid(o =>
        {
            o.Client["security.protocol"] = "SASL_PLAINTEXT";
            o.Client["sasl.mechanism"] = "PLAIN";
            o.Client["sasl.username"] = "coordinator";
            o.Client["sasl.password"] = "secret";
        });
        Assert.Empty(options.Validate());
        var producer = options.ProducerConfig();
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal("SASL_PLAINTEXT", producer.Get("security.protocol"));
        var consumer = options.ConsumerConfig();
        Assert.False(consumer.EnableAutoCommit);
        Assert.Equal("coordinator", consumer.GroupId);
    }

    [Theory]
    [InlineData("bootstrap", "Coordinator:Kafka:BootstrapServers is empty")]
    [InlineData("bad-host", "is not host:port")]
    [InlineData("no-topics", "Coordinator:Kafka:Topics is empty")]
    [InlineData("bad-topic", "Kafka topic names use")]
    [InlineData("no-group", "Coordinator:Kafka:GroupId is empty")]
    [InlineData("override", "Coordinator:Kafka:Client:enable.auto.commit cannot be set")]
    [InlineData("unknown-property", "Coordinator:Kafka:Client is rejected by librdkafka")]
    [InlineData("session", "Coordinator:Kafka:SessionTimeout")]
    public void Invalid_SaysWhichSettingAndTheFix(string problem, string expected)
    {
        var options = Valid(o =>
        {
            switch (problem)
            {
                case "bootstrap": o.BootstrapServers = " "; break;
                case "bad-host": o.BootstrapServers = "kafka-1"; break;
                case "no-topics": o.Topics.Clear(); break;
                case "bad-topic": o.Topics.Add("orders and more"); break;
                case "no-group": o.GroupId = ""; break;
                case "override": o.Client["enable.auto.commit"] = "true"; break;
                case "unknown-property": o.Client["no.such.property"] = "1"; break;
                case "session": o.SessionTimeout = TimeSpan.FromSeconds(1); break;
            }
        });
        Assert.Contains(options.Validate(), e => e.Contains(expected, StringComparison.Ordinal));
    }
}

public sealed class KafkaPublisherTests
{
    private static KafkaOptions Options(EmbeddedKafka kafka, params (string Key, string Value)[] client)
    {
        var options = new KafkaOptions { BootstrapServers = kafka.BootstrapServers };
        options.Topics.Add("outbox");
        foreach (var (key, value) in client)
        {
            options.Client[key] = value;
        }

        Assert.Empty(options.Validate());
        return options;
    }

    [Fact]
    public async Task Publish_IsDeliveredWithHeaders_ToTheKeysPartition()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("case-events", 6);
        using (var publisher = new KafkaPublisher(Options(kafka)))
        {
            for (var i = 0; i < 20; i++)
            {
                var placed = await publisher.PublishAsync("case-events", $"case-{i}", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), new Dictionary<string, string> { ["event-type"] = "V1.CaseOpened", ["correlation-id"] = $"corr-{i}" });
                Assert.Equal(Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes($"case-{i}"), 6), placed.Partition.Value);
            }
        }

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "check", AutoOffsetReset = AutoOffsetReset.Earliest }).Build();
        consumer.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset("case-events", p, Offset.Beginning)));
        var records = EmbeddedKafkaTests.ConsumeAll(consumer, 20, TimeSpan.FromSeconds(20));
        var seventh = records.Single(r => r.Message.Key == "case-7");
        Assert.Equal("corr-7", Encoding.UTF8.GetString(seventh.Message.Headers.GetLastBytes("correlation-id")));
        Assert.Equal("V1.CaseOpened", Encoding.UTF8.GetString(seventh.Message.Headers.GetLastBytes("event-type")));
    }

    [Fact]
    public async Task Publish_RecordTooLarge_IsADataError()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("small", 1);
        using var publisher = new KafkaPublisher(Options(kafka, ("message.max.bytes", "2000")));
        var ex = await Assert.ThrowsAsync<DataException>(() => publisher.PublishAsync("small", "k", new byte[10_000]));
        Assert.Contains("'small'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(FailureClass.Data, ex.FailureClass);
    }

    [Fact]
    public async Task Publish_BrokerUnreachable_IsAnInfrastructureErrorNamingTheTopic()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("unreachable", 1);
        using var publisher = new KafkaPublisher(Options(kafka, ("message.timeout.ms", "1500")));
        await publisher.PublishAsync("unreachable", "warm", new byte[] { 1 });
        kafka.SetBrokerDown(1);
        var ex = await Assert.ThrowsAsync<InfrastructureException>(() => publisher.PublishAsync("unreachable", "k-1", new byte[] { 2 }));
        Assert.Contains("'unreachable'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("k-1", ex.Message, StringComparison.Ordinal);
        kafka.SetBrokerUp(1);
    }
}
