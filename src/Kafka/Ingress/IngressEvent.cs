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
