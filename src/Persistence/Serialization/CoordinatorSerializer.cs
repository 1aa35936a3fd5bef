using Akka.Actor;
using Akka.Serialization;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Serialization;

/// <summary>
/// Akka.NET's serializer for everything of ours that is persisted or crosses nodes
/// (<see cref="ICoordinatorMessage"/>): System.Text.Json with source-generated metadata, the
/// manifest being the type's stable versioned name from an <see cref="EventTypeRegistry"/>, so
/// renaming a class never breaks a journal and old versions are read through upcasters.
/// </summary>
public sealed class CoordinatorSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id stored with every event (Akka reserves 0–100 for itself).</summary>
    public const int Id = 7301;

    /// <summary>The name it is bound under in <c>akka.actor.serializers</c>.</summary>
    public const string Name = "coordinator-json";

    private readonly EventTypeRegistry _registry;

    /// <summary>Creates the serializer over <paramref name="registry"/>.</summary>
    public CoordinatorSerializer(ExtendedActorSystem system, EventTypeRegistry registry)
        : base(system)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
    }

    /// <summary>
    /// Created by Akka from HOCON: the types come from the <see cref="CoordinatorSerialization"/>
    /// setup the actor system was started with.
    /// </summary>
    public CoordinatorSerializer(ExtendedActorSystem system)
        : this(system, CoordinatorSerialization.RegistryOf(system))
    {
    }

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <summary>The registry of stable names this serializer writes and reads.</summary>
    public EventTypeRegistry Registry => _registry;

    /// <inheritdoc />
    public override string Manifest(object o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return _registry.NameOf(o.GetType());
    }

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => _registry.Serialize(obj).Payload;

    /// <inheritdoc />
    /// <exception cref="EventSerializationException">The manifest is neither registered nor upcast; the message names the registration to add.</exception>
    public override object FromBinary(byte[] bytes, string manifest) => _registry.Deserialize(manifest, bytes);
}
