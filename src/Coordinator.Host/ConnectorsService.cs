using Coordinator.Connectors;

namespace Coordinator.Host;

/// <summary>
/// Starts the connectors declared under <c>Coordinator:Connectors</c> on the node's Akka.NET actor
/// system (each <c>connector-{name}</c> a persistent supervisor under a backoff supervisor), after
/// the system and before the ingress. A bad declaration fails the start, naming the setting and
/// its fix. The actor system's coordinated shutdown stops them; they are disposed when it ends.
/// </summary>
internal sealed class ConnectorsService(IServiceProvider services, IConfiguration configuration, ConnectorRegistry kinds, TimeProvider time, ILogger<ConnectorsService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var connectors = ConnectorsConfiguration.Build(configuration, kinds);
        var system = services.GetRequiredService<Akka.Actor.ActorSystem>(); // resolved here: options are validated before the actor system is made
        ConnectorsExtension.Start(system, connectors, time: time);
        logger.ConnectorsStarted(connectors.Count, string.Join(", ", connectors.Keys.Order()));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
