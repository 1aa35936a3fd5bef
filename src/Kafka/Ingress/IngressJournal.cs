using System.Text.Json;
using System.Text.Json.Serialization;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// What an <see cref="Sharding.RecordEntity"/> journals for every record it applies: where the record
/// came from (so a redelivery is recognised after a restart), its business event id (so a
/// re-publication is recognised), and its data as received.
/// </summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="EventId">Business event id.</param>
/// <param name="Type">Event type.</param>
/// <param name="Version">Contract version.</param>
/// <param name="Data">The data, as JSON.</param>
/// <param name="Timestamp">The record's timestamp.</param>
public sealed record IngressApplied(string Topic, int Partition, long Offset, string EventId, string Type, int Version, JsonElement Data, DateTimeOffset Timestamp) : Coordinator.Contracts.ICoordinatorMessage;

/// <summary>Registers the ingress's journal events.</summary>
public static class IngressJournal
{
    /// <summary>The stable name of <see cref="IngressApplied"/>.</summary>
    public const string AppliedTypeName = "V1.IngressApplied";

    /// <summary>Registers <see cref="IngressApplied"/>; call it once when building the registry of a system whose entities consume Kafka.</summary>
    public static EventTypeRegistry AddIngress(this EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.Register(AppliedTypeName, IngressJsonContext.Default.IngressApplied);
    }
}

[JsonSerializable(typeof(IngressApplied))]
internal sealed partial class IngressJsonContext : JsonSerializerContext;
