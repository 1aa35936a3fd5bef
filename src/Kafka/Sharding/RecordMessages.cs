using System.Text.Json;
using System.Text.Json.Serialization;
using Coordinator.Contracts;
using Coordinator.Kafka.Ingress;

namespace Coordinator.Kafka.Sharding;

/// <summary>
/// A Kafka record on its way to the sharded entity it is about (its key). The ingress asks the
/// shard region with it; the entity answers with a <see cref="RecordAck"/> once the record's
/// effect is journaled, or says why not. Shard = <see cref="Partition"/>, so the node consuming
/// the partition hosts the entity and the message does not cross the network.
/// </summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition: the entity's shard.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="Track">The consumer's hold on the partition this delivery was sent under (a new one for every assignment).</param>
/// <param name="Generation">The track's generation: it moves on at every rewind, and deliveries of an earlier one are never applied.</param>
/// <param name="EntityId">The record key.</param>
/// <param name="EventId">The business event id.</param>
/// <param name="Type">Event type.</param>
/// <param name="Version">Contract version.</param>
/// <param name="Data">The data as received, already judged by its contract at the edge.</param>
/// <param name="Timestamp">The record's timestamp.</param>
public sealed record RecordDelivery(
    string Topic,
    int Partition,
    long Offset,
    Guid Track,
    long Generation,
    string EntityId,
    string EventId,
    string Type,
    int Version,
    JsonElement Data,
    DateTimeOffset Timestamp) : ICoordinatorMessage
{
    /// <summary>The data as its contract type, when the delivery did not cross a process boundary (else it is read again from <see cref="Data"/>).</summary>
    [JsonIgnore]
    public object? Decoded { get; init; }

    /// <summary>When the ingress read the record (<see cref="TimeProvider.GetTimestamp"/> of the reading node), for the processing-time metric.</summary>
    [JsonIgnore]
    public long ReadAt { get; init; }

    /// <summary>The record as an entity applies it.</summary>
    public IngressEvent ToEvent(object data) => new(EntityId, EventId, Type, Version, data, Topic, Partition, Offset, Timestamp);

    /// <inheritdoc />
    public override string ToString() => $"{Topic}/{Partition}@{Offset} {Type} '{EventId}' for '{EntityId}'";
}

/// <summary>What became of a <see cref="RecordDelivery"/>.</summary>
public enum RecordOutcome
{
    /// <summary>Journaled and applied (or, for entities that hold acknowledgements, its consequences are durable).</summary>
    Applied,

    /// <summary>Its offset was applied before (a redelivery after a rewind or restart): dropped.</summary>
    Redelivered,

    /// <summary>Its business event id was applied recently (a re-publication): dropped.</summary>
    Republished,

    /// <summary>Sent before its partition was rewound or given up: not applied; its replacement follows.</summary>
    Stale,

    /// <summary>The journal write failed (or the entity stopped before taking it): the partition is rewound to its watermark.</summary>
    Failed,

    /// <summary>The journal refused the record's data itself (a data error, not a transient one): it is dead-lettered, never retried.</summary>
    Refused,

    /// <summary>It could not reach its entity (dead letters, a full buffer): the partition is rewound to its watermark.</summary>
    Undeliverable,
}

/// <summary>The answer to a <see cref="RecordDelivery"/>.</summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Detail">Why it failed or was refused; null otherwise.</param>
/// <param name="Node">The address of the node whose entity answered (where the record was processed).</param>
public sealed record RecordAck(string Topic, int Partition, long Offset, RecordOutcome Outcome, string? Detail, string Node) : ICoordinatorMessage;

/// <summary>
/// Stops a record entity once what it is doing is journaled: the shard's hand-off message and
/// what passivation sends. A persistent actor must not be stopped with a <c>PoisonPill</c>,
/// which would overtake the records stashed behind a write in progress.
/// </summary>
public sealed record StopRecordEntity : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static StopRecordEntity Instance { get; } = new();
}

/// <summary>Asks a record entity to passivate (the ingress hands its shard off this way when Kafka revokes the partition); routed to <paramref name="Partition"/>'s shard.</summary>
/// <param name="EntityId">The entity.</param>
/// <param name="Partition">Its shard.</param>
public sealed record PassivateRecordEntity(string EntityId, int Partition) : ICoordinatorMessage;

/// <summary>JSON of the record messages, for <see cref="ShardingJournal.AddRecordSharding"/>.</summary>
[JsonSerializable(typeof(RecordDelivery))]
[JsonSerializable(typeof(RecordAck))]
[JsonSerializable(typeof(StopRecordEntity))]
[JsonSerializable(typeof(PassivateRecordEntity))]
internal sealed partial class RecordJsonContext : JsonSerializerContext;

/// <summary>Registers the record messages with the serializer's registry.</summary>
public static class ShardingJournal
{
    /// <summary>Registers <see cref="IngressApplied"/> and every message of the sharded ingress that can cross nodes.</summary>
    public static Coordinator.Persistence.Abstractions.EventTypeRegistry AddRecordSharding(this Coordinator.Persistence.Abstractions.EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (!registry.IsRegistered(typeof(IngressApplied)))
        {
            registry.AddIngress();
        }

        return registry
            .Register("V1.RecordDelivery", RecordJsonContext.Default.RecordDelivery)
            .Register("V1.RecordAck", RecordJsonContext.Default.RecordAck)
            .Register("V1.StopRecordEntity", RecordJsonContext.Default.StopRecordEntity)
            .Register("V1.PassivateRecordEntity", RecordJsonContext.Default.PassivateRecordEntity);
    }
}
