using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Serialization;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Serialization;

/// <summary>
/// Binds <see cref="CoordinatorSerializer"/> to <see cref="ICoordinatorMessage"/> for an actor
/// system: pass <see cref="Setup"/> to <see cref="ActorSystem.Create(string, ActorSystemSetup)"/>
/// (Akka.Hosting does the same through <c>WithCustomSerializer</c>).
/// </summary>
public static class CoordinatorSerialization
{
    private static readonly ConditionalWeakTable<ActorSystem, EventTypeRegistry> Registries = [];

    /// <summary>The setup that makes every <see cref="ICoordinatorMessage"/> go through <paramref name="registry"/>.</summary>
    public static SerializationSetup Setup(EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return SerializationSetup.Create(system => ImmutableHashSet.Create(SerializerDetails.Create(
            CoordinatorSerializer.Name,
            Create(system, registry),
            ImmutableHashSet.Create(typeof(ICoordinatorMessage)))));
    }

    /// <summary>The serializer of <paramref name="system"/> over <paramref name="registry"/>, remembered for <see cref="RegistryOf"/>.</summary>
    public static CoordinatorSerializer Create(ExtendedActorSystem system, EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(system);
        Registries.AddOrUpdate(system, registry);
        return new CoordinatorSerializer(system, registry);
    }

    /// <summary>The registry the system's serializer was set up with.</summary>
    /// <exception cref="InvalidOperationException">The system was started without <see cref="Setup"/>.</exception>
    public static EventTypeRegistry RegistryOf(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Registries.TryGetValue(system, out var registry)
            ? registry
            : throw new InvalidOperationException("This actor system has no Coordinator serializer: start it with CoordinatorSerialization.Setup(registry) (or WithCoordinatorSerialization in Akka.Hosting).");
    }
}
