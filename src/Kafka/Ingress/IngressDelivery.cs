using Coordinator.Actors;
using Coordinator.Actors.Sharding;

namespace Coordinator.Kafka.Ingress;

/// <summary>A record, read under its contract, as an entity applies it.</summary>
/// <param name="EntityId">The entity (the record key).</param>
/// <param name="EventId">The business event id.</param>
/// <param name="Type">The event type.</param>
/// <param name="Version">Its contract version.</param>
/// <param name="Data">The data as its contract type.</param>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="Timestamp">The record's timestamp.</param>
public sealed record IngressEvent(string EntityId, string EventId, string Type, int Version, object Data, string Topic, int Partition, long Offset, DateTimeOffset Timestamp);

/// <summary>
/// A record on its way to its entity. The entity completes it once the record's effect is
/// journaled (or it was a duplicate); the partition's committed offset never passes a record
/// that is not complete.
/// </summary>
public sealed class IngressDelivery
{
    private readonly PartitionFlow _flow;
    private readonly long _generation;

    internal IngressDelivery(PartitionFlow flow, long generation, long offset, DecodedRecord record, DateTimeOffset timestamp, long readAt)
    {
        ReadAt = readAt;
        _flow = flow;
        _generation = generation;
        Offset = offset;
        Record = record;
        Timestamp = timestamp;
    }

    /// <summary>Source topic.</summary>
    public string Topic => _flow.Topic;

    /// <summary>Source partition (the entity's shard).</summary>
    public int Partition => _flow.Partition;

    /// <summary>Source offset.</summary>
    public long Offset { get; }

    /// <summary>The record under its contract.</summary>
    public DecodedRecord Record { get; }

    /// <summary>The record's timestamp.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>When the ingress read it (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public long ReadAt { get; }

    /// <summary>False once the partition was rewound or revoked after this delivery was sent: it must not be applied.</summary>
    public bool IsCurrent => _flow.Generation == _generation;

    /// <summary>The record as an entity applies it.</summary>
    public IngressEvent ToEvent() => new(Record.EntityId, Record.EventId, Record.Type, Record.Version, Record.Data, Topic, Partition, Offset, Timestamp);

    /// <summary>The record's effect is journaled (or it was a duplicate): the watermark may pass it.</summary>
    public void Complete() => _flow.Complete(_generation, Offset);

    /// <summary>The record could not be journaled: rewind the partition to its watermark and deliver again from there.</summary>
    public void Fail() => _flow.Fail(_generation);

    /// <inheritdoc />
    public override string ToString() => $"{Topic}/{Partition}@{Offset} {Record.Type} '{Record.EventId}' for '{Record.EntityId}'";
}

/// <summary>
/// Routes <see cref="IngressDelivery"/>s by their key to the entity and by their partition to
/// the shard, whatever partitioner the producer used; other messages as
/// <see cref="ShardEnvelopeExtractor"/> does.
/// </summary>
/// <param name="partitions">Partitions of the topic (for messages that are not deliveries).</param>
public sealed class IngressExtractor(int partitions) : ShardEnvelopeExtractor(partitions)
{
    /// <inheritdoc />
    public override string? EntityId(object message) => message is IngressDelivery delivery ? delivery.Record.EntityId : base.EntityId(message);

    /// <inheritdoc />
    public override object EntityMessage(object message) => message is IngressDelivery ? message : base.EntityMessage(message);

    /// <inheritdoc />
    public override int ShardId(string entityId, object message) => message is IngressDelivery delivery ? delivery.Partition : ShardId(entityId);
}

/// <summary>Shard regions for entities fed by the ingress.</summary>
public static class IngressRegion
{
    /// <summary>Props of a region whose entities (made by <paramref name="entityProps"/>) consume a topic of <paramref name="partitions"/> partitions.</summary>
    public static Props Props(Func<string, Props> entityProps, int partitions, ShardingSettings? settings = null)
        => ShardRegion.Props(entityProps, new IngressExtractor(partitions), settings);
}
