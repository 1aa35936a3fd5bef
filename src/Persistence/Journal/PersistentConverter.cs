using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Serialization;
using AkkaSerialization = Akka.Serialization.Serialization;

namespace Coordinator.Persistence.Journal;

/// <summary>
/// Turns Akka's persistent representations into journal rows and back, through the actor
/// system's serializers: ours (<see cref="CoordinatorSerializer"/>) keeps JSON the database can
/// query; any other serializer's bytes are kept with its id.
/// </summary>
internal sealed class PersistentConverter(ExtendedActorSystem system, TimeProvider time)
{
    private readonly AkkaSerialization _serialization = system.Serialization;

    public EventToWrite ToRow(IPersistentRepresentation persistent)
    {
        var payload = persistent.Payload;
        IReadOnlyList<string> tags = [];
        var metadata = new Audited(payload);
        for (var depth = 0; depth < 2; depth++)
        {
            if (payload is Tagged tagged)
            {
                tags = [.. tagged.Tags];
                payload = tagged.Payload;
            }

            if (payload is Audited audited)
            {
                metadata = audited;
                payload = audited.Event;
            }
        }

        var stamp = persistent.Timestamp > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(persistent.Timestamp) : time.GetUtcNow();
        return new EventToWrite(
            persistent.PersistenceId,
            persistent.SequenceNr,
            Serialize(payload),
            tags,
            new EventMetadata(stamp, persistent.WriterGuid ?? string.Empty, metadata.CorrelationId, metadata.CausationId, Actor.Parse(metadata.CausedBy)));
    }

    public SerializedEvent Serialize(object payload)
    {
        ArgumentNullException.ThrowIfNull(payload, nameof(payload));
        var serializer = _serialization.FindSerializerFor(payload);
        if (serializer is not CoordinatorSerializer && payload.GetType().Assembly.GetName().Name?.StartsWith("Coordinator.", StringComparison.Ordinal) == true)
        {
            // One of ours would silently go to Akka's Newtonsoft default, whose output changes
            // with CLR names: refuse it, naming the fix.
            throw new EventSerializationException($"{payload.GetType().FullName} would be persisted by {serializer.GetType().Name}; mark it ICoordinatorMessage and register it under a stable name (EventTypeRegistry.Register<{payload.GetType().Name}>(\"V1.{payload.GetType().Name}\", …)).");
        }

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, payload);
        var bytes = AkkaSerialization.WithTransport(system, (serializer, payload), static state => state.serializer.ToBinary(state.payload));
        return serializer is CoordinatorSerializer
            ? new SerializedEvent(manifest, bytes)
            : new SerializedEvent(manifest, bytes, serializer.Identifier);
    }

    public object Deserialize(SerializedEvent stored)
        => _serialization.Deserialize(stored.Payload, stored.IsJson ? CoordinatorSerializer.Id : stored.SerializerId, stored.TypeName);

    public Persistent ToPersistent(string persistenceId, ReplayedEvent replayed) => new(
        Deserialize(replayed.Event),
        replayed.SequenceNr,
        persistenceId,
        string.Empty,
        isDeleted: false,
        sender: ActorRefs.NoSender,
        writerGuid: replayed.WriterId,
        timestamp: replayed.Timestamp.ToUnixTimeMilliseconds());

    public DateTimeOffset Now => time.GetUtcNow();
}
