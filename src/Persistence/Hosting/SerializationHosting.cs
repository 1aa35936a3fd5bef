using Akka.Hosting;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Serialization;

namespace Coordinator.Persistence.Hosting;

/// <summary>Akka.Hosting set-up of Coordinator's serializer.</summary>
public static class SerializationHosting
{
    /// <summary>Binds <see cref="CoordinatorSerializer"/> over <paramref name="registry"/> to every <see cref="ICoordinatorMessage"/>.</summary>
    public static AkkaConfigurationBuilder WithCoordinatorSerialization(this AkkaConfigurationBuilder builder, EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(registry);
        return builder.WithCustomSerializer(
            CoordinatorSerializer.Name,
            [typeof(ICoordinatorMessage)],
            system => CoordinatorSerialization.Create(system, registry));
    }
}
