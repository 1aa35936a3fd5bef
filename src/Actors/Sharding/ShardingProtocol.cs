using System.Text;

namespace Coordinator.Actors.Sharding;

/// <summary>
/// Tells a shard region which entity a message is for, which shard that entity lives in, and
/// what the entity itself receives (Akka.NET's <c>IMessageExtractor</c>). A shard is a Kafka
/// partition, so <see cref="ShardId(string)"/> must place an entity where Kafka places its records.
/// </summary>
public interface IMessageExtractor
{
    /// <summary>The entity the message is for, or null when it names none (it is then refused).</summary>
    string? EntityId(object message);

    /// <summary>What the entity receives (the message itself, or its payload).</summary>
    object EntityMessage(object message);

    /// <summary>The shard of <paramref name="entityId"/>.</summary>
    int ShardId(string entityId);

    /// <summary>
    /// The shard of <paramref name="entityId"/> as <paramref name="message"/> tells it: a record
    /// read from Kafka names the partition it came from, which is the shard whatever partitioner
    /// its producer used. <value>Default: <see cref="ShardId(string)"/>.</value>
    /// </summary>
    int ShardId(string entityId, object message) => ShardId(entityId);
}

/// <summary>A message for one entity, for regions using <see cref="ShardEnvelopeExtractor"/>.</summary>
/// <param name="EntityId">The entity.</param>
/// <param name="Message">What it receives.</param>
public sealed record ShardEnvelope(string EntityId, object Message);

/// <summary>
/// Reads <see cref="ShardEnvelope"/>s and places entities by Kafka's murmur2 partition of their
/// id (the record key), so shard id = partition.
/// </summary>
/// <param name="partitions">Partitions of the topic the entities' records arrive on.</param>
public class ShardEnvelopeExtractor(int partitions) : IMessageExtractor
{
    /// <summary>Partitions of the source topic.</summary>
    public int Partitions { get; } = partitions > 0 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions), partitions, "A topic has at least one partition.");

    /// <inheritdoc />
    public virtual string? EntityId(object message) => (message as ShardEnvelope)?.EntityId;

    /// <inheritdoc />
    public virtual object EntityMessage(object message) => message is ShardEnvelope envelope ? envelope.Message : message;

    /// <inheritdoc />
    public int ShardId(string entityId) => Murmur2Partitioner.Partition(Encoding.UTF8.GetBytes(entityId), Partitions);

    /// <inheritdoc />
    public virtual int ShardId(string entityId, object message) => ShardId(entityId);
}

/// <summary>Sent by an entity to its region to be stopped gracefully; messages for it meanwhile are kept and redelivered.</summary>
/// <param name="StopMessage">What the entity receives to stop (it then stops itself).</param>
public sealed record Passivate(object StopMessage);

/// <summary>Asks a region for its shards and entities; answered with <see cref="CurrentShardRegionState"/>.</summary>
public sealed class GetShardRegionState
{
    private GetShardRegionState()
    {
    }

    /// <summary>The single instance.</summary>
    public static GetShardRegionState Instance { get; } = new();
}

/// <summary>The shards of a region with their active entities.</summary>
/// <param name="Shards">Every shard with at least one entity, by id.</param>
public sealed record CurrentShardRegionState(IReadOnlyList<ShardState> Shards)
{
    /// <summary>Active entities in all shards.</summary>
    public int EntityCount => Shards.Sum(s => s.EntityIds.Count);
}

/// <summary>One shard's active entities.</summary>
/// <param name="ShardId">The shard (Kafka partition).</param>
/// <param name="EntityIds">Its active entities.</param>
public sealed record ShardState(int ShardId, IReadOnlyList<string> EntityIds);

/// <summary>Stops every entity of <paramref name="ShardId"/> (e.g. its Kafka partition was revoked); answered with <see cref="ShardStopped"/> once they all stopped.</summary>
/// <param name="ShardId">The shard.</param>
public sealed record HandOffShard(int ShardId);

/// <summary>Every entity of the shard has stopped.</summary>
/// <param name="ShardId">The shard.</param>
public sealed record ShardStopped(int ShardId);

/// <summary>Settings of a shard region.</summary>
public sealed record ShardingSettings
{
    /// <summary>Entities idle this long are passivated; null never. <value>Default: 2 minutes.</value></summary>
    public TimeSpan? PassivateIdleAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Most active entities in this region on this node; starting one more passivates the least recently used. <value>Default: 100,000.</value></summary>
    public int MaxActiveEntities { get; init; } = 100_000;

    /// <summary>Most messages kept for one entity while it stops; more become dead letters. <value>Default: 10,000.</value></summary>
    public int MaxBufferedPerEntity { get; init; } = 10_000;

    /// <summary>What an entity receives when the region passivates it. <value>Default: <see cref="PoisonPill"/>.</value></summary>
    public object StopMessage { get; init; } = PoisonPill.Instance;

    /// <summary>Checks the values, naming the setting and the fix.</summary>
    public void Validate()
    {
        if (PassivateIdleAfter is { } idle && idle <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ShardingSettings.PassivateIdleAfter is {idle}; set a positive duration, or null to keep idle entities.", nameof(PassivateIdleAfter));
        }

        if (MaxActiveEntities < 1)
        {
            throw new ArgumentException($"ShardingSettings.MaxActiveEntities is {MaxActiveEntities}; set 1 or more.", nameof(MaxActiveEntities));
        }

        if (MaxBufferedPerEntity < 1)
        {
            throw new ArgumentException($"ShardingSettings.MaxBufferedPerEntity is {MaxBufferedPerEntity}; set 1 or more.", nameof(MaxBufferedPerEntity));
        }

        ArgumentNullException.ThrowIfNull(StopMessage, nameof(StopMessage));
    }
}
