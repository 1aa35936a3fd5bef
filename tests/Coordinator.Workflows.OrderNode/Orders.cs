using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Confluent.Kafka;
using Coordinator.Actors.Steps;
using Coordinator.Connectors;
using Coordinator.Contracts;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;

namespace Coordinator.Workflows.OrderNode;

/// <summary>Data of <c>order.placed</c>: charge <paramref name="Amount"/> to <paramref name="Customer"/>.</summary>
public sealed record Placed(long Amount, string Customer);

/// <summary>Data of <c>order.noted</c>: a note that needs no step.</summary>
public sealed record Noted(string Note);

/// <summary>Asks an order for its state.</summary>
public sealed record GetOrder : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static GetOrder Instance { get; } = new();
}

/// <summary>An order's state.</summary>
/// <param name="Id">The order.</param>
/// <param name="History">What happened, in order: <c>placed:{event}</c>, <c>noted:{note}</c>, <c>charge:{resolution}</c>.</param>
/// <param name="ChargeId">The payment's id once charged.</param>
public sealed record OrderState(string Id, IReadOnlyList<string> History, string? ChargeId) : ICoordinatorMessage;

/// <summary>The sample step entity: an order charged through the <c>payments</c> connector when placed.</summary>
public sealed class OrderCase(string id, int maxHeldRecords = 10_000) : StepEntity
{
    private readonly List<string> _history = [];
    private Placed? _toCharge;
    private string? _chargeId;

    /// <inheritdoc />
    public override string PersistenceId => $"order-{id}";

    /// <inheritdoc />
    protected override int MaxHeldRecords => maxHeldRecords;

    /// <inheritdoc />
    protected override void ApplyRecord(IngressEvent record)
    {
        switch (record.Data)
        {
            case Placed placed:
                _toCharge = placed;
                _history.Add($"placed:{record.EventId}");
                break;
            case Noted noted:
                _history.Add($"noted:{noted.Note}");
                break;
        }
    }

    /// <inheritdoc />
    protected override StepPlan? NextStep()
        => _toCharge is { } placed
            ? new StepPlan("charge", "payments", "charge", new JsonObject { ["amount"] = placed.Amount, ["currency"] = "EUR", ["customer"] = placed.Customer })
            : null;

    /// <inheritdoc />
    protected override void ApplyStep(StepOutcome outcome)
    {
        _toCharge = null;
        _history.Add($"{outcome.Step}:{outcome.Resolution}");
        _chargeId = (string?)outcome.Output?["id"] ?? _chargeId;
    }

    /// <inheritdoc />
    protected override bool ReceiveMessage(object message)
    {
        if (message is GetOrder)
        {
            Sender.Tell(new OrderState(id, [.. _history], _chargeId), Self);
            return true;
        }

        return false;
    }
}

/// <summary>Contracts, envelopes and producers of the order topic.</summary>
public static class Orders
{
    /// <summary>The topic.</summary>
    public const string Topic = "orders";

    /// <summary><c>order.placed</c> v1 (amount positive, customer required) and <c>order.noted</c> v1.</summary>
    public static RecordContracts Contracts() => new RecordContracts()
        .Register("order.placed", 1, OrderJson.Default.Placed, p => p.Amount <= 0 ? "data.amount must be positive." : string.IsNullOrEmpty(p.Customer) ? "data.customer is missing; name the customer to charge." : null)
        .Register("order.noted", 1, OrderJson.Default.Noted, n => string.IsNullOrEmpty(n.Note) ? "data.note is empty." : null);

    /// <summary>Publishes an <c>order.placed</c>.</summary>
    public static void Place(IProducer<string, byte[]> producer, string order, string eventId, long amount, string customer)
        => producer.Produce(Topic, new Message<string, byte[]> { Key = order, Value = JsonSerializer.SerializeToUtf8Bytes(new Envelope<Placed>(eventId, "order.placed", 1, new Placed(amount, customer)), OrderJson.Default.EnvelopePlaced) });

    /// <summary>Publishes an <c>order.noted</c>.</summary>
    public static void Note(IProducer<string, byte[]> producer, string order, string eventId, string note)
        => producer.Produce(Topic, new Message<string, byte[]> { Key = order, Value = JsonSerializer.SerializeToUtf8Bytes(new Envelope<Noted>(eventId, "order.noted", 1, new Noted(note)), OrderJson.Default.EnvelopeNoted) });

    /// <summary>The payments connector against <paramref name="baseUrl"/>, with a policy fit for tests (fast retries, high rate) that <paramref name="tune"/> may change.</summary>
    public static IConnector Payments(string baseUrl, Action<ConnectorPolicy>? tune = null)
    {
        var policy = new ConnectorPolicy
        {
            MaxConcurrentCalls = 32,
            RatePerSecond = 10_000,
            BaseDelay = TimeSpan.FromMilliseconds(5),
            MaxDelay = TimeSpan.FromMilliseconds(50),
            Timeout = TimeSpan.FromSeconds(30),
            RedeliverAfter = TimeSpan.FromSeconds(2),
        };
        tune?.Invoke(policy);
        return new Coordinator.Connectors.Http.HttpConnector("payments", Coordinator.Connectors.Http.DomainConnectors.Payments(new Coordinator.Connectors.Http.HttpConnectorOptions { Kind = "payments", BaseUrl = baseUrl, Policy = policy }));
    }

    /// <summary>An envelope as published.</summary>
    public sealed record Envelope<T>(string Id, string Type, int Version, T Data);
}

/// <summary>
/// One order node on Akka.NET: a cluster member on loopback (a cluster of its own unless it joins
/// a seed), our journal plugin, the order region (route <c>orders</c>) with shards placed by
/// Kafka's assignment, the connectors delivering outcomes through it, and the sharded ingress.
/// </summary>
public sealed class OrderNode : IAsyncDisposable
{
    /// <summary>The order region's type name, and the connectors' route to it.</summary>
    public const string TypeName = "orders";

    private OrderNode(ClusterLedgerNode node) => Node = node;

    /// <summary>The underlying node (system, region, ingress).</summary>
    public ClusterLedgerNode Node { get; }

    /// <summary>The actor system.</summary>
    public ActorSystem System => Node.System;

    /// <summary>The order region.</summary>
    public IActorRef Region => Node.Region;

    /// <summary>The ingress.</summary>
    public KafkaShardingIngress Ingress => Node.Ingress;

    /// <summary>The connectors.</summary>
    public ConnectorsExtension Connectors => ConnectorsExtension.Find(System)!;

    /// <summary>Everything an order node serializes: the record messages, the connectors' and the steps', the orders'.</summary>
    public static EventTypeRegistry Registry() => ClusterLedgerNode.Registry()
        .AddConnectors()
        .AddStepMessages()
        .Register("Test.GetOrder", OrderJson.Default.GetOrder)
        .Register("Test.OrderState", OrderJson.Default.OrderState);

    /// <summary>Starts a node consuming <see cref="Orders.Topic"/> into <paramref name="journal"/>; an order holds at most <paramref name="maxHeldRecords"/> records behind a step; it logs to <paramref name="logging"/> (default: the test nodes' logging).</summary>
    /// <param name="bootstrapServers">The broker.</param>
    /// <param name="group">The consumer group.</param>
    /// <param name="partitions">Partitions of the order topic.</param>
    /// <param name="journal">Our journal plugin's database.</param>
    /// <param name="deadLetters">Where poison records go.</param>
    /// <param name="connectors">The connectors by name.</param>
    /// <param name="maxHeldRecords">Most records held behind an order's active step.</param>
    /// <param name="logging">The ingress's logging; null for the tests' default.</param>
    /// <param name="wrapJournal">Wraps the journal plugin's store (a failing journal in tests); null for none.</param>
    /// <param name="time">The connectors' clock; null for the system clock.</param>
    /// <param name="metricsName">The connectors' instruments are tagged with this name (tests tell nodes apart by it); null for the system's name.</param>
    /// <param name="akkaLog">Receives every line the actor system logs (Akka's logging, at the configured level), from before the ingress starts; null for none.</param>
    /// <param name="verifySerialization">Whether every message is serialized as if it crossed nodes (tests: on; benchmarks: off, as in production); always off with <paramref name="wrapJournal"/> (see <see cref="ClusterNodeOptions.VerifySerialization"/>).</param>
    public static async Task<OrderNode> StartAsync(string bootstrapServers, string group, int partitions, JournalLocation journal, IDeadLetterStore deadLetters, IReadOnlyDictionary<string, IConnector> connectors, int maxHeldRecords = 10_000, Microsoft.Extensions.Logging.ILoggerFactory? logging = null, Func<Coordinator.Persistence.Abstractions.IJournalStore, Coordinator.Persistence.Abstractions.IJournalStore>? wrapJournal = null, TimeProvider? time = null, string? metricsName = null, System.Collections.Concurrent.ConcurrentQueue<string>? akkaLog = null, bool verifySerialization = true)
    {
        var options = new ClusterNodeOptions(Orders.Topic, partitions, journal) { TypeName = TypeName, WrapJournal = wrapJournal, VerifySerialization = verifySerialization && wrapJournal is null };
        var node = await ClusterLedgerNode.StartAsync(
            options,
            Ledger.ConsumerOptions(bootstrapServers, group, Orders.Topic),
            deadLetters,
            loggerFactory: logging,
            contracts: Orders.Contracts(),
            entityProps: id => Props.Create(() => new OrderCase(id, maxHeldRecords)),
            registry: Registry(),
            beforeIngress: (system, region) =>
            {
                if (akkaLog is not null)
                {
                    system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new LogCollector(akkaLog))), typeof(Akka.Event.LogEvent));
                }

                ConnectorsExtension.Start(system, connectors, new Dictionary<string, IActorRef> { [TypeName] = region }, metrics: metricsName is null ? null : new ConnectorMetrics(metricsName), time: time);
            });
        return new OrderNode(node);
    }

    /// <summary>An order's state.</summary>
    public Task<OrderState> OrderAsync(string id) => Region.Ask<OrderState>(new ShardingEnvelope(id, GetOrder.Instance), TimeSpan.FromSeconds(30));

    /// <summary>An order's steps.</summary>
    public Task<StepsView> StepsAsync(string id) => Region.Ask<StepsView>(new ShardingEnvelope(id, GetSteps.Instance), TimeSpan.FromSeconds(30));

    /// <summary>Sends an operator command to an order.</summary>
    public Task<object> CommandAsync(string id, StepCommand command) => Region.Ask<object>(new ShardingEnvelope(id, command), TimeSpan.FromSeconds(30));

    /// <summary>Stops as a crash would: nothing more committed or handed off.</summary>
    public Task AbortAsync() => Node.AbortAsync();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Node.DisposeAsync();

    private sealed class LogCollector : ReceiveActor
    {
        public LogCollector(System.Collections.Concurrent.ConcurrentQueue<string> lines) => Receive<Akka.Event.LogEvent>(e => lines.Enqueue(e.ToString()));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Placed))]
[JsonSerializable(typeof(Noted))]
[JsonSerializable(typeof(GetOrder))]
[JsonSerializable(typeof(OrderState))]
[JsonSerializable(typeof(Orders.Envelope<Placed>), TypeInfoPropertyName = "EnvelopePlaced")]
[JsonSerializable(typeof(Orders.Envelope<Noted>), TypeInfoPropertyName = "EnvelopeNoted")]
internal sealed partial class OrderJson : JsonSerializerContext;
