using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Coordinator.Actors;
using Coordinator.Actors.Persistence;
using Coordinator.Actors.Sharding;
using Coordinator.Connectors;
using Coordinator.Connectors.Steps;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.IngressNode;

namespace Coordinator.Workflows.OrderNode;

/// <summary>Data of <c>order.placed</c>: charge <paramref name="Amount"/> to <paramref name="Customer"/>.</summary>
public sealed record Placed(long Amount, string Customer);

/// <summary>Data of <c>order.noted</c>: a note that needs no step.</summary>
public sealed record Noted(string Note);

/// <summary>Asks an order for its state.</summary>
public sealed class GetOrder
{
    private GetOrder()
    {
    }

    /// <summary>The instance.</summary>
    public static GetOrder Instance { get; } = new();
}

/// <summary>An order's state.</summary>
/// <param name="Id">The order.</param>
/// <param name="History">What happened, in order: <c>placed:{event}</c>, <c>noted:{note}</c>, <c>charge:{resolution}</c>.</param>
/// <param name="ChargeId">The payment's id once charged.</param>
public sealed record OrderState(string Id, IReadOnlyList<string> History, string? ChargeId);

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

/// <summary>One node: actor system, journal, connectors, the order region and the ingress.</summary>
public sealed class OrderNode : IAsyncDisposable
{
    private OrderNode(ActorSystem system, IActorRef region, KafkaIngress ingress)
    {
        System = system;
        Region = region;
        Ingress = ingress;
    }

    /// <summary>The actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The order region (route <c>orders</c>).</summary>
    public IActorRef Region { get; }

    /// <summary>The ingress.</summary>
    public KafkaIngress Ingress { get; }

    /// <summary>The connectors.</summary>
    public ConnectorsExtension Connectors => ConnectorsExtension.Find(System)!;

    /// <summary>Starts a node consuming <see cref="Orders.Topic"/>; its actor system is called <paramref name="name"/> (default: a fresh one); an order holds at most <paramref name="maxHeldRecords"/> records behind a step; it logs to <paramref name="logging"/> (default: the test nodes' logging).</summary>
    public static async Task<OrderNode> StartAsync(string bootstrapServers, string group, int partitions, IJournalStore journal, ISnapshotStore snapshots, IDeadLetterStore deadLetters, IReadOnlyDictionary<string, IConnector> connectors, string? name = null, int maxHeldRecords = 10_000, Microsoft.Extensions.Logging.ILoggerFactory? logging = null)
    {
        logging ??= LedgerNode.DefaultLogging;
        var system = ActorSystem.Create(name ?? $"orders-{Guid.NewGuid():N}"[..15], new ActorSystemSettings { LoggerFactory = logging });
        await PersistenceExtension.StartAsync(system, new PersistenceSettings
        {
            Journal = journal,
            SnapshotStore = snapshots,
            Registry = new EventTypeRegistry().AddIngress().AddConnectors().AddSteps(),
        });
        await deadLetters.InitializeAsync();
        IngressExtension.Register(system, Orders.Contracts());
        var region = system.ActorOf(IngressRegion.Props(id => Props.Create(() => new OrderCase(id, maxHeldRecords)), partitions), "orders");
        ConnectorsExtension.Start(system, connectors, new Dictionary<string, IActorRef> { ["orders"] = region });
        var ingress = new KafkaIngress(system, LedgerNode.ConsumerOptions(bootstrapServers, group, Orders.Topic), new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(200) }, new Dictionary<string, IActorRef> { [Orders.Topic] = region }, deadLetters, logging);
        ingress.Start();
        return new OrderNode(system, region, ingress);
    }

    /// <summary>An order's state.</summary>
    public Task<OrderState> OrderAsync(string id) => Region.Ask<OrderState>(new ShardEnvelope(id, GetOrder.Instance), TimeSpan.FromSeconds(30));

    /// <summary>An order's steps.</summary>
    public Task<StepsView> StepsAsync(string id) => Region.Ask<StepsView>(new ShardEnvelope(id, GetSteps.Instance), TimeSpan.FromSeconds(30));

    /// <summary>Sends an operator command to an order.</summary>
    public Task<object> CommandAsync(string id, StepCommand command) => Region.Ask<object>(new ShardEnvelope(id, command), TimeSpan.FromSeconds(30));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Ingress.DisposeAsync();
        await System.Terminate();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Placed))]
[JsonSerializable(typeof(Noted))]
[JsonSerializable(typeof(Orders.Envelope<Placed>), TypeInfoPropertyName = "EnvelopePlaced")]
[JsonSerializable(typeof(Orders.Envelope<Noted>), TypeInfoPropertyName = "EnvelopeNoted")]
internal sealed partial class OrderJson : JsonSerializerContext;
