using Akka.Actor;
using Coordinator.Kafka.Egress;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Hosting;
using Microsoft.Extensions.Logging;

namespace Coordinator.Kafka.Tests.Ingress;

/// <summary>librdkafka's own log lines and the ingress's hand-off problems reach ILogger.</summary>
public sealed class LoggingTests
{
    private const int LibrdkafkaEvent = 3011;
    private const int HandOffTimedOutEvent = 3010;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task IngressConsumer_BrokerUnreachable_LibrdkafkasLogLinesReachTheLogger()
    {
        var capture = new LogCapture();
        using var factory = capture.Factory();
        await using var node = await ClusterLedgerNode.StartAsync(InMemoryNode(), Ledger.ConsumerOptions("127.0.0.1:1", "unreachable", "ledger"), new MemoryDeadLetterStore(), loggerFactory: factory);

        // librdkafka logs the refused connection itself (facility FAIL), at error level.
        await Eventually.TrueAsync(() => capture.WithEvent(LibrdkafkaEvent).Any(e => e.Message.Contains("127.0.0.1:1", StringComparison.Ordinal)), "a librdkafka log line about 127.0.0.1:1", Patience);
        var line = capture.WithEvent(LibrdkafkaEvent).First(e => e.Message.Contains("127.0.0.1:1", StringComparison.Ordinal));
        Assert.Equal(typeof(KafkaShardingIngress).FullName, line.Category);
        Assert.InRange(line.Level, LogLevel.Information, LogLevel.Critical);
        Assert.StartsWith("librdkafka rdkafka#consumer-", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publisher_DebugEnabled_LibrdkafkasDebugLinesReachTheLoggerAtDebug()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("events", partitions: 1);
        var capture = new LogCapture();
        using var factory = capture.Factory();
        var options = new Configuration.KafkaOptions { BootstrapServers = kafka.BootstrapServers };
        options.Topics.Add("events");
        options.Client["debug"] = "msg";
        using (var publisher = new KafkaPublisher(options, factory.CreateLogger<KafkaPublisher>()))
        {
            await publisher.PublishAsync("events", "k", "v"u8.ToArray());
        }

        var lines = capture.WithEvent(LibrdkafkaEvent);
        Assert.Contains(lines, e => e.Level == LogLevel.Debug && e.Message.StartsWith("librdkafka rdkafka#producer-", StringComparison.Ordinal));
    }

    [Fact]
    public void EmbeddedBroker_MockDebugContext_ItsLogLinesReachTheLogger()
    {
        var capture = new LogCapture();
        using var factory = capture.Factory();
        using (var kafka = new EmbeddedKafka(logger: factory.CreateLogger<EmbeddedKafka>(), debug: "mock"))
        {
            kafka.CreateTopic("traced", partitions: 2);
        }

        var lines = capture.WithEvent(LibrdkafkaEvent);
        Assert.Contains(lines, e => e.Level == LogLevel.Debug && e.Message.Contains("[MOCK]", StringComparison.Ordinal) && e.Message.Contains("Created topic \"traced\"", StringComparison.Ordinal));
        Assert.All(lines, e => Assert.Equal(typeof(EmbeddedKafka).FullName, e.Category));
    }

    [Fact]
    public void EmbeddedBroker_UnknownDebugContext_SaysWhatToUse()
    {
        var error = Assert.Throws<ArgumentException>(() => new EmbeddedKafka(debug: "no-such-context"));
        Assert.Contains("\"mock\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_ShardHandOffNeverAnswered_TimeoutIsLogged()
    {
        using var kafka = new EmbeddedKafka();
        kafka.CreateTopic("ledger", partitions: 1);
        using (var producer = Ledger.Producer(kafka))
        {
            producer.Produce("ledger", new Confluent.Kafka.Message<string, byte[]> { Key = "stubborn", Value = Ledger.Envelope("e-1", 5) });
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var capture = new LogCapture();
        using var factory = capture.Factory();
        await using var node = await ClusterLedgerNode.StartAsync(
            InMemoryNode(),
            Ledger.ConsumerOptions(kafka.BootstrapServers, "handoff", "ledger"),
            new MemoryDeadLetterStore(),
            new IngressSettings { HandOffTimeout = TimeSpan.FromMilliseconds(200), CommitInterval = TimeSpan.FromMilliseconds(100) },
            loggerFactory: factory,
            entityProps: _ => Props.Create(() => new StubbornEntity()));
        await Eventually.TrueAsync(() => node.Ingress.Partitions is [{ Watermark: >= 1 }], "the record applied", Patience);

        await node.Ingress.StopAsync(); // revokes the partition: its shard's entity is asked to stop, and never does

        var timedOut = Assert.Single(capture.WithEvent(HandOffTimedOutEvent));
        Assert.Equal(LogLevel.Warning, timedOut.Level);
        Assert.Contains("ledger [[0]]", timedOut.Message, StringComparison.Ordinal);
    }

    private static ClusterNodeOptions InMemoryNode()
        => new("ledger", 1, new JournalLocation(JournalDatabase.Sqlite, Path.Combine(Path.GetTempPath(), "unused.db"))) { InMemoryJournal = true };

    /// <summary>Takes records but ignores being asked to passivate: the shard's hand-off never finishes.</summary>
    private sealed class StubbornEntity : ReceiveActor
    {
        public StubbornEntity()
        {
            Receive<RecordDelivery>(d => Sender.Tell(new RecordAck(d.Topic, d.Partition, d.Offset, RecordOutcome.Applied, null, RecordIngress.Get(Context.System).Address)));
            Receive<PassivateRecordEntity>(static _ => { });
        }
    }
}
