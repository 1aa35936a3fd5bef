using System.Text.Json.Serialization;
using Akka.Actor;
using Coordinator.Contracts;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Actors.Cases;

/// <summary>Asks a case for its summary.</summary>
public sealed record GetCase : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static GetCase Instance { get; } = new();
}

/// <summary>What a case has seen: the fold of its records.</summary>
/// <param name="Id">The case (the record key).</param>
/// <param name="Topic">The topic it is fed from.</param>
/// <param name="Events">Records applied.</param>
/// <param name="LastType">Type of the last one; null before the first.</param>
/// <param name="LastEventId">Business id of the last one.</param>
/// <param name="LastAt">Timestamp of the last one.</param>
/// <param name="Node">The node hosting the case now.</param>
public sealed record CaseSummary(string Id, string Topic, long Events, string? LastType, string? LastEventId, DateTimeOffset? LastAt, string Node) : ICoordinatorMessage;

/// <summary>
/// A customer case fed by one topic: a sharded persistent actor that journals every record once
/// and keeps a summary. The workflow instances it starts come with the step entities; until then
/// it is what the console and the admin API see of a case.
/// </summary>
public sealed class CaseEntity : RecordEntity
{
    private readonly string _topic;
    private readonly string _id;
    private long _events;
    private string? _lastType;
    private string? _lastEventId;
    private DateTimeOffset? _lastAt;

    /// <summary>Creates the case <paramref name="id"/> of <paramref name="topic"/>.</summary>
    public CaseEntity(string topic, string id)
    {
        _topic = topic;
        _id = id;
        PersistenceId = $"case-{topic}-{id}";
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <summary>Props of a case of <paramref name="topic"/>.</summary>
    public static Props Props(string topic, string id) => Akka.Actor.Props.Create(() => new CaseEntity(topic, id));

    /// <inheritdoc />
    protected override void Apply(IngressEvent record)
    {
        _events++;
        (_lastType, _lastEventId, _lastAt) = (record.Type, record.EventId, record.Timestamp);
    }

    /// <inheritdoc />
    protected override bool ReceiveOther(object message)
    {
        if (message is GetCase)
        {
            Sender.Tell(new CaseSummary(_id, _topic, _events, _lastType, _lastEventId, _lastAt, Ingress.Address));
            return true;
        }

        return false;
    }
}

/// <summary>Registers the case messages.</summary>
public static class CaseJournal
{
    /// <summary>Registers everything the host's ingress serializes: the record messages and the case's.</summary>
    public static EventTypeRegistry AddCases(this EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.AddRecordSharding()
            .Register("V1.GetCase", CaseJson.Default.GetCase)
            .Register("V1.CaseSummary", CaseJson.Default.CaseSummary);
    }
}

[JsonSerializable(typeof(GetCase))]
[JsonSerializable(typeof(CaseSummary))]
internal sealed partial class CaseJson : JsonSerializerContext;
