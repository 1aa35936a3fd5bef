using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Coordinator.Contracts;
using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Journal;
using Coordinator.Persistence.Serialization;

namespace Coordinator.Kafka.IngressNode;

/// <summary>Asks a sharded ledger for its state.</summary>
public sealed record GetLedgerState : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static GetLedgerState Instance { get; } = new();
}

/// <summary>A sharded ledger's state and the node that hosts it.</summary>
/// <param name="Id">The ledger (record key).</param>
/// <param name="Balance">Sum of amounts.</param>
/// <param name="EventIds">Business event ids applied, in order.</param>
/// <param name="Node">The address of the node hosting the entity.</param>
public sealed record LedgerReport(string Id, long Balance, IReadOnlyList<string> EventIds, string Node) : ICoordinatorMessage;

/// <summary>The sample entity on Akka.NET: a ledger per key that sums posted amounts.</summary>
public sealed class ShardedLedger : RecordEntity
{
    private readonly string _id;
    private readonly List<string> _eventIds = [];
    private long _balance;

    /// <summary>Creates the ledger <paramref name="id"/>.</summary>
    public ShardedLedger(string id)
    {
        _id = id;
        PersistenceId = Ledger.PersistenceId(id);
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <inheritdoc />
    protected override void Apply(IngressEvent record)
    {
        _balance += ((Posted)record.Data).Amount;
        _eventIds.Add(record.EventId);
    }

    /// <inheritdoc />
    protected override bool ReceiveOther(object message)
    {
        if (message is GetLedgerState)
        {
            Sender.Tell(new LedgerReport(_id, _balance, [.. _eventIds], Ingress.Address));
            return true;
        }

        return false;
    }
}

/// <summary>
/// One coordinator node on Akka.NET consuming a ledger topic: a cluster member on loopback, our
/// journal plugin, the ledger region with shards placed by Kafka's assignment, and the
/// sharded ingress graph.
/// </summary>
public sealed class ClusterLedgerNode : IAsyncDisposable
{
    /// <summary>The region's type name.</summary>
    public const string TypeName = "ledger";

    private ClusterLedgerNode(ActorSystem system, IActorRef region, KafkaShardingIngress ingress)
    {
        System = system;
        Region = region;
        Ingress = ingress;
        Extension = RecordIngress.Get(system);
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The ledger region.</summary>
    public IActorRef Region { get; }

    /// <summary>The ingress.</summary>
    public KafkaShardingIngress Ingress { get; }

    /// <summary>The node's record ingress (metrics, gate, active entities).</summary>
    public RecordIngress Extension { get; }

    /// <summary>Ingress totals.</summary>
    public IngressMetrics Metrics => Extension.Metrics;

    /// <summary>The node's cluster address.</summary>
    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Registry of everything the ledger nodes serialize.</summary>
    public static EventTypeRegistry Registry() => new EventTypeRegistry()
        .AddRecordSharding()
        .Register("Test.GetLedgerState", ClusterLedgerJson.Default.GetLedgerState)
        .Register("Test.LedgerReport", ClusterLedgerJson.Default.LedgerReport);

    /// <summary>
    /// Starts a node: joins the seed of <paramref name="node"/> (itself when none), waits until it is up,
    /// starts the ledger region and the ingress.
    /// </summary>
    /// <param name="node">Where the node runs and what it consumes.</param>
    /// <param name="kafka">The consumer's options.</param>
    /// <param name="deadLetters">Where poison records go.</param>
    /// <param name="settings">The ingress's settings; null for the tests' (200 ms commits).</param>
    /// <param name="sharding">The region's settings; null for the defaults.</param>
    /// <param name="loggerFactory">Logging; null for the tests' default.</param>
    /// <param name="contracts">The record contracts; null for the ledger's.</param>
    /// <param name="entityProps">The entity of the region; null for <see cref="ShardedLedger"/> (benchmarks swap in others to separate costs).</param>
    /// <param name="registry">What the node serializes; null for <see cref="Registry"/>.</param>
    /// <param name="beforeIngress">Called with the system and the region once the region runs, before the ingress starts (other nodes' parts: connectors and their routes).</param>
    public static async Task<ClusterLedgerNode> StartAsync(ClusterNodeOptions node, KafkaOptions kafka, IDeadLetterStore deadLetters, IngressSettings? settings = null, RecordShardingSettings? sharding = null, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null, RecordContracts? contracts = null, Func<string, Props>? entityProps = null, EventTypeRegistry? registry = null, Action<ActorSystem, IActorRef>? beforeIngress = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var system = ActorSystem.Create("coordinator", BootstrapSetup.Create().WithConfig(node.Config()).And(CoordinatorSerialization.Setup(registry ?? Registry())).And(new CoordinatorStoresSetup(node.WrapJournal))).StartScheduler();
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        await cluster.JoinSeedNodesAsync([node.Seed ?? cluster.SelfAddress]);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await deadLetters.InitializeAsync();
        RecordIngress.Register(system, contracts ?? Ledger.Contracts());
        var region = RecordSharding.StartRegion(system, node.TypeName, entityProps ?? (id => Props.Create(() => new ShardedLedger(id))), node.Partitions, sharding);
        beforeIngress?.Invoke(system, region);
        var ingress = new KafkaShardingIngress(system, kafka, settings ?? new IngressSettings { CommitInterval = TimeSpan.FromMilliseconds(200) }, [new RecordTopic(node.Topic, node.TypeName, region)], deadLetters, loggerFactory ?? Ledger.DefaultLogging);
        ingress.Start();
        return new ClusterLedgerNode(system, region, ingress);
    }

    /// <summary>A ledger's state (starting and recovering it if needed), through this node's region.</summary>
    public Task<LedgerReport> QueryAsync(string id) => Region.Ask<LedgerReport>(new ShardingEnvelope(id, GetLedgerState.Instance), TimeSpan.FromSeconds(30));

    /// <summary>Shards this node hosts, with their entity counts.</summary>
    public async Task<IReadOnlyDictionary<string, int>> LocalShardsAsync()
    {
        var state = await Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
        return state.Shards.ToDictionary(s => s.ShardId, s => s.EntityIds.Count);
    }

    /// <summary>Stops as a crash would: nothing more committed or handed off; the actor system ends without leaving.</summary>
    public async Task AbortAsync()
    {
        await Ingress.AbortAsync();
        await Ingress.DisposeAsync();
        await System.Terminate();
    }

    /// <summary>Leaves gracefully: the ingress stops (finish, commit, hand off), then the node leaves the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        await Ingress.DisposeAsync();
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}

/// <summary>Where a ledger node runs and which topic it consumes.</summary>
/// <param name="Topic">The ledger topic.</param>
/// <param name="Partitions">Its partitions.</param>
/// <param name="Journal">Our journal plugin's database.</param>
/// <param name="Seed">The cluster to join; null to form one.</param>
/// <param name="Port">Remoting port (0 for any).</param>
public sealed record ClusterNodeOptions(string Topic, int Partitions, JournalLocation Journal, Address? Seed = null, int Port = 0)
{
    /// <summary>Extra HOCON, over the rest (its values win).</summary>
    public string? Hocon { get; init; }

    /// <summary>The region's entity type name. <value>Default: <see cref="ClusterLedgerNode.TypeName"/>.</value></summary>
    public string TypeName { get; init; } = ClusterLedgerNode.TypeName;

    /// <summary>
    /// Whether every message is serialized as if it crossed nodes (<c>serialize-messages</c>).
    /// Turn it off where journal writes are made to fail: Akka's journal answers a failed write
    /// inside its own <c>Desequenced</c> message, which carries the exception and cannot pass the
    /// check, so the failure would be dropped and the entity would wait for it forever.
    /// </summary>
    public bool VerifySerialization { get; init; } = true;

    /// <summary>Wraps the journal plugin's store (a gated or failing journal in tests); null for none. See <see cref="CoordinatorStoresSetup"/>.</summary>
    public Func<IJournalStore, IJournalStore>? WrapJournal { get; init; }

    /// <summary>Akka's in-memory journal and snapshot store instead of our plugin (an upper bound for benchmarks; nothing survives the node).</summary>
    public bool InMemoryJournal { get; init; }

    /// <summary>
    /// The node's configuration: remoting on loopback, the cluster with keep-oldest split-brain
    /// resolution, the record regions' settings, our plugins, strict serialization, and the
    /// serializers of sharding, singletons and distributed data from the start (they are
    /// otherwise added only when the region starts, after the node joined).
    /// </summary>
    public Config Config() => ConfigurationFactory.ParseString(Hocon ?? string.Empty).WithFallback(ConfigurationFactory.ParseString($$"""
        akka.loglevel = {{Environment.GetEnvironmentVariable("COORDINATOR_TEST_AKKA_LOG") ?? "WARNING"}}
        akka.actor.provider = cluster
        akka.actor.serialize-messages = {{(VerifySerialization ? "on" : "off")}}
        # Akka.Persistence's internal Desequenced is checked with Newtonsoft; it carries our payloads' JSON nodes.
        akka.actor.serialization-settings.json.converters = ["Coordinator.Kafka.IngressNode.JsonNodeNewtonsoftConverter, Coordinator.Kafka.IngressNode"]
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{Port}} }
        akka.cluster {
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          split-brain-resolver {
            active-strategy = keep-oldest
            keep-oldest.down-if-alone = on
            stable-after = 3s
          }
          failure-detector.acceptable-heartbeat-pause = 3s
        }
        akka.coordinated-shutdown.exit-clr = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        {{RecordSharding.Hocon}}
        {{(InMemoryJournal ? InMemoryHocon : string.Empty)}}
        """))
        .WithFallback(PersistenceConfig.Coordinator(Journal))
        // Sharding's, the singleton's and ddata's serializers from the start: a member receives
        // their messages as soon as it joins, before its own region is started.
        .WithFallback(ClusterSharding.DefaultConfig())
        .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
        .WithFallback(Akka.DistributedData.DistributedData.DefaultConfig());

    private const string InMemoryHocon = """
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;
}

[JsonSerializable(typeof(GetLedgerState))]
[JsonSerializable(typeof(LedgerReport))]
internal sealed partial class ClusterLedgerJson : JsonSerializerContext;
