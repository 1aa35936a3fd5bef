using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.External;
using Akka.DistributedData;

namespace Coordinator.Kafka.Sharding;

/// <summary>
/// Routes record entities' messages: a <see cref="RecordDelivery"/> to shard = its Kafka
/// partition (whatever partitioner its producer used) and entity = its key; a
/// <see cref="ShardingEnvelope"/> or <see cref="ShardRegion.StartEntity"/> from anywhere else
/// (queries, commands, the console; Akka unwraps both before asking the extractor) to the partition murmur2 gives its key, which is where Kafka
/// puts the key's records when producers partition as the Java client does
/// (<c>partitioner = murmur2_random</c>).
/// </summary>
/// <param name="partitions">Partitions of the region's topic.</param>
public sealed class RecordMessageExtractor(int partitions) : IMessageExtractor
{
    /// <summary>Partitions of the topic.</summary>
    public int Partitions { get; } = partitions > 0 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions), partitions, "A topic has at least one partition.");

    /// <inheritdoc />
    public string? EntityId(object message) => message switch
    {
        RecordDelivery delivery => delivery.EntityId,
        PassivateRecordEntity passivate => passivate.EntityId,
        _ => null,
    };

    /// <inheritdoc />
    public object? EntityMessage(object message) => message;

    /// <inheritdoc />
    [Obsolete("Use ShardId(EntityId, object) instead.")]
    public string? ShardId(object message) => EntityId(message) is { } id ? ShardId(id, message) : null;

    /// <inheritdoc />
    public string ShardId(string entityId, object? messageHint = null) => messageHint switch
    {
        RecordDelivery delivery => Shard(delivery.Partition),
        PassivateRecordEntity passivate => Shard(passivate.Partition),
        _ => Shard(PartitionOf(entityId)),
    };

    /// <summary>The partition murmur2 gives <paramref name="key"/> (Kafka's default placement for keyed records).</summary>
    public int PartitionOf(string key) => Murmur2Partitioner.Partition(System.Text.Encoding.UTF8.GetBytes(key), Partitions);

    /// <summary>The shard id of <paramref name="partition"/>.</summary>
    public static string Shard(int partition) => partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>How a record region runs. Section <c>Coordinator:Kafka:Sharding</c>.</summary>
public sealed class RecordShardingSettings
{
    /// <summary>An entity that received nothing for this long is passivated (its memory freed; it recovers on its next message). <value>Default: 2 minutes.</value></summary>
    public TimeSpan PassivateIdleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most record entities active on one node, over all regions; past it the least recently used are passivated. <value>Default: 100,000.</value></summary>
    public int MaxActiveEntities { get; set; } = 100_000;

    /// <summary>The cluster role whose members host the regions; null for every member.</summary>
    public string? Role { get; set; }

    /// <summary>Every problem with the values, each naming the setting and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (PassivateIdleAfter < TimeSpan.FromSeconds(1) || PassivateIdleAfter > TimeSpan.FromDays(1))
        {
            errors.Add($"Coordinator:Kafka:Sharding:PassivateIdleAfter is {PassivateIdleAfter}; set between 00:00:01 and 1.00:00:00 (default 00:02:00).");
        }

        if (MaxActiveEntities is < 1 or > 10_000_000)
        {
            errors.Add($"Coordinator:Kafka:Sharding:MaxActiveEntities is {MaxActiveEntities}; set between 1 and 10,000,000 (default 100,000).");
        }

        return errors;
    }
}

/// <summary>Starts record regions: Akka.Cluster.Sharding with shards placed where Kafka assigns their partition.</summary>
public static class RecordSharding
{
    /// <summary>
    /// The HOCON the record regions rely on: the external allocation client's timeout (Akka
    /// defines no default, and without one the client times out at once), a rebalance tick short
    /// enough that a shard follows its partition within seconds, and ddata state.
    /// </summary>
    public const string Hocon = """
        akka.cluster.sharding {
          state-store-mode = ddata
          remember-entities = off
          rebalance-interval = 1s
          external-shard-allocation-strategy.client-timeout = 5s
        }
        """;

    /// <summary>
    /// Starts the region <paramref name="typeName"/> on <paramref name="system"/> (a cluster
    /// member with <see cref="RecordIngress"/> registered): ddata state, no remembered
    /// entities, idle passivation, <see cref="ExternalShardAllocationStrategy"/>, and
    /// <see cref="StopRecordEntity"/> as the hand-off stop message.
    /// </summary>
    public static IActorRef StartRegion(ActorSystem system, string typeName, Func<string, Props> entityProps, int partitions, RecordShardingSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(entityProps);
        settings ??= new RecordShardingSettings();
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(settings));
        }

        var cluster = ClusterSharding.Get(system); // loads sharding's defaults
        var sharding = ClusterShardingSettings.Create(system)
            .WithStateStoreMode(StateStoreMode.DData)
            .WithRememberEntities(false)
            .WithPassivateIdleAfter(settings.PassivateIdleAfter)
            .WithRole(settings.Role);
        RecordIngress.Get(system).Active.Limit = settings.MaxActiveEntities;
        return cluster.Start(typeName, entityProps, sharding, new RecordMessageExtractor(partitions), new RestartableExternalAllocation(system, typeName), StopRecordEntity.Instance);
    }
}

/// <summary>
/// Akka's <see cref="ExternalShardAllocationStrategy"/>, able to start more than once on a node.
/// Akka creates its state actor as a system actor with a fixed name
/// (<c>external-allocation-state-{type}</c>) every time the strategy starts, that is every time
/// the shard coordinator starts; the coordinator is a cluster singleton and is started again on
/// the same node after its singleton manager restarts (e.g. a hand-over it waited for never came),
/// and the second start failed with <see cref="InvalidActorNameException"/>, leaving the region
/// with no coordinator: no shard could be allocated any more and every message to a shard whose
/// home it did not know yet waited in a buffer. The state actor (its replicated locations) lives
/// as long as the actor system, so it is created once and reused.
/// </summary>
internal sealed class RestartableExternalAllocation(ActorSystem system, string typeName) : ExternalShardAllocationStrategy(system, typeName)
{
    private readonly object _lock = new();
    private IActorRef? _state;

    protected override IActorRef CreateShardStateActor()
    {
        lock (_lock)
        {
            return _state ??= base.CreateShardStateActor();
        }
    }
}

/// <summary>
/// Places one region's shards where Kafka assigns their partitions: on assignment the shard's
/// location is set to this node (<see cref="ExternalShardAllocation"/>) and its records wait
/// until no other node hosts it (Akka's rebalance hands it off first, stopping the old
/// entities); on revocation this node's entities of the shard are passivated.
/// </summary>
internal sealed class ShardPlacement(ActorSystem system, string typeName, IActorRef region)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private readonly Cluster _cluster = Cluster.Get(system);
    private readonly Address _self = Cluster.Get(system).SelfAddress;

    /// <summary>
    /// Sets the location of <paramref name="partitions"/>' shards to this node and waits until no
    /// other node hosts any of them; false on timeout (the location is set all the same).
    /// <list type="number">
    /// <item>While a member is unreachable, or the coordinator still lists a region on a node that
    /// left or was downed, it waits (the split-brain resolver downs the node, or it comes back;
    /// the coordinator then drops its region and frees its shards without a hand-off): a shard on
    /// such a node cannot be handed off, and a rebalance started towards here would hold the
    /// shard's messages until Akka's hand-off timeout (a minute).</item>
    /// <item>The location is written to every member (<see cref="WriteAll"/>), then it waits one
    /// ddata notification interval: the coordinator allocates a shard nobody hosts by the
    /// location it knows, and with the location only written locally (as
    /// <see cref="IExternalShardAllocationClient"/> does) it would place the first delivery
    /// by a stale one, on another node, until a rebalance moves it.</item>
    /// <item>It waits until no other node hosts a shard (the rebalance hands it off).</item>
    /// </list>
    /// </summary>
    public async Task<bool> ClaimAsync(IReadOnlyCollection<int> partitions, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (partitions.Count == 0)
        {
            return true;
        }

        var deadline = DateTime.UtcNow + timeout;
        while (!await RegionsSettledAsync(cancellationToken).ConfigureAwait(false) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }

        var shards = partitions.Select(RecordMessageExtractor.Shard).ToHashSet(StringComparer.Ordinal);
        var written = await WriteLocationsAsync(shards, Remaining(deadline, TimeSpan.FromSeconds(1)), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var elsewhere = await HostedElsewhereAsync(shards, cancellationToken).ConfigureAwait(false);
            if (elsewhere.Count == 0)
            {
                return written;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Passivates this node's entities of <paramref name="partitions"/>' shards and waits until they have stopped; false on timeout.</summary>
    public async Task<bool> HandOffAsync(IReadOnlyCollection<int> partitions, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var shards = partitions.Select(RecordMessageExtractor.Shard).ToHashSet();
        var deadline = DateTime.UtcNow + timeout;
        var asked = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, (deadline - DateTime.UtcNow).TotalSeconds))), cancellationToken).ConfigureAwait(false);
            var live = state.Shards.Where(s => shards.Contains(s.ShardId)).SelectMany(s => s.EntityIds.Select(e => (Shard: s.ShardId, Entity: e))).ToList();
            if (live.Count == 0)
            {
                return true;
            }

            foreach (var (shard, entity) in live)
            {
                if (asked.Add(entity))
                {
                    region.Tell(new PassivateRecordEntity(entity, int.Parse(shard, System.Globalization.CultureInfo.InvariantCulture)));
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether every member is reachable and every region the coordinator knows is on a live member.</summary>
    private async Task<bool> RegionsSettledAsync(CancellationToken cancellationToken)
    {
        var state = _cluster.State;
        if (!state.Unreachable.IsEmpty)
        {
            return false;
        }

        var live = state.Members.Where(m => m.Status != MemberStatus.Down && m.Status != MemberStatus.Removed).Select(m => m.Address).ToHashSet();
        try
        {
            var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return regions.Regions.All(live.Contains);
        }
        catch (AskTimeoutException)
        {
            return false; // no coordinator yet
        }
    }

    private static TimeSpan Remaining(DateTime deadline, TimeSpan atLeast) => deadline - DateTime.UtcNow is var left && left > atLeast ? left : atLeast;

    /// <summary>
    /// Sets the shards' locations to this node on every member, as
    /// <see cref="IExternalShardAllocationClient.UpdateShardLocations"/> does locally (same ddata
    /// key and values, which <see cref="ExternalShardAllocationStrategy"/> reads), then waits until
    /// the coordinator's strategy has been notified. False when not every member confirmed in
    /// time (the value is written here and spreads by gossip).
    /// </summary>
    private async Task<bool> WriteLocationsAsync(HashSet<string> shards, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var self = _cluster.SelfUniqueAddress;
        var location = _self.ToString();
        var key = new LWWDictionaryKey<string, string>($"external-sharding-{typeName}");
        var update = Dsl.Update(key, LWWDictionary<string, string>.Empty, new WriteAll(timeout), existing => shards.Aggregate(existing, (acc, shard) => acc.SetItem(self, shard, location)));
        var replicator = DistributedData.Get(system).Replicator;
        var response = await replicator.Ask<IUpdateResponse>(update, timeout + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        var notify = system.Settings.Config.GetTimeSpan("akka.cluster.distributed-data.notify-subscribers-interval", TimeSpan.FromMilliseconds(500));
        await Task.Delay(notify + Poll, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessful;
    }

    private async Task<HashSet<string>> HostedElsewhereAsync(HashSet<string> shards, CancellationToken cancellationToken)
    {
        var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        var elsewhere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (address, regionStats) in stats.Regions)
        {
            if (!address.Equals(_self))
            {
                elsewhere.UnionWith(regionStats.Stats.Keys.Where(shards.Contains));
            }
        }

        return elsewhere;
    }
}
