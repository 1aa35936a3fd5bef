using System.Collections.Concurrent;
using Coordinator.Actors;
using Coordinator.Actors.Supervision;

namespace Coordinator.Connectors;

/// <summary>
/// The connectors of one actor system: a supervisor per configured connector, found by name, and
/// the routes (sharded regions) through which supervisors deliver outcomes to the entities that
/// asked for them (<see cref="Coordinator.Contracts.ConnectorRequest.ReplyTo"/>).
/// </summary>
public sealed class ConnectorsExtension
{
    private readonly Dictionary<string, IActorRef> _supervisors;
    private readonly ConcurrentDictionary<string, IActorRef> _routes = new(StringComparer.Ordinal);

    private ConnectorsExtension(Dictionary<string, IActorRef> supervisors, ConnectorMetrics metrics)
    {
        _supervisors = supervisors;
        Metrics = metrics;
    }

    /// <summary>The connectors' instruments (meter <see cref="ConnectorMetrics.MeterName"/>).</summary>
    public ConnectorMetrics Metrics { get; }

    /// <summary>The names of the connectors, as configured.</summary>
    public IReadOnlyCollection<string> Names => _supervisors.Keys;

    /// <summary>
    /// Starts one supervisor per connector (actor <c>connector-{name}</c>, a backoff supervisor over the
    /// persistent supervisor, which recovers its outbox and circuit from the journal; see <see cref="Supervised"/>)
    /// and registers them with <paramref name="system"/>. The system owns the
    /// connectors from then on and disposes them when it terminates.
    /// </summary>
    /// <param name="system">The actor system.</param>
    /// <param name="connectors">The connectors by name.</param>
    /// <param name="routes">Regions to deliver outcomes to, by route (see <see cref="AddRoute"/>). Give them here rather than later, so a supervisor recovering an outbox finds them at once.</param>
    /// <param name="metrics">The instruments; null for new ones.</param>
    /// <exception cref="InvalidOperationException">Connectors are registered already.</exception>
    public static ConnectorsExtension Start(ActorSystem system, IReadOnlyDictionary<string, IConnector> connectors, IReadOnlyDictionary<string, IActorRef>? routes = null, ConnectorMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(connectors);
        metrics ??= new ConnectorMetrics(system.Name);
        if (system.GetExtension<ConnectorsExtension>() is not null)
        {
            throw new InvalidOperationException($"Connectors are already started for actor system {system.Name}.");
        }

        var supervisors = new Dictionary<string, IActorRef>(StringComparer.Ordinal);
        var extension = system.RegisterExtension(new ConnectorsExtension(supervisors, metrics));
        foreach (var (route, region) in routes ?? new Dictionary<string, IActorRef>())
        {
            extension.AddRoute(route, region);
        }

        foreach (var (name, connector) in connectors)
        {
            supervisors[name] = system.ActorOf(Supervised(connector, metrics), $"connector-{name}");
        }

        _ = system.WhenTerminated.ContinueWith(
            _ =>
            {
                foreach (var connector in connectors.Values)
                {
                    connector.Dispose();
                }

                metrics.Dispose();
            },
            TaskScheduler.Default);
        return extension;
    }

    /// <summary>
    /// Props of a connector's supervisor kept alive by a <see cref="BackoffSupervisor"/> (<see cref="BackoffMode.OnStop"/>):
    /// a failed journal write or recovery stops the persistent <see cref="ConnectorSupervisor"/>, and it is
    /// started again after <see cref="ConnectorPolicy.RestartBackoff"/> (doubling up to
    /// <see cref="ConnectorPolicy.MaxRestartBackoff"/>), recovers its outbox, queue and circuit, and runs its
    /// pending actions again under their keys. Callers keep the backoff supervisor's address, which forwards
    /// to the current incarnation (messages sent while it is down are dropped; step entities send again).
    /// </summary>
    /// <param name="connector">The connector.</param>
    /// <param name="metrics">The instruments.</param>
    public static Props Supervised(IConnector connector, ConnectorMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(connector);
        var policy = connector.Policy;
        return BackoffOptions.OnStop(ConnectorSupervisor.Props(connector, metrics), "supervisor", policy.RestartBackoff, policy.MaxRestartBackoff, 0.2)
            .WithAutoReset(policy.MaxRestartBackoff)
            .Props();
    }

    /// <summary>The connectors of <paramref name="system"/>, or null when none were started.</summary>
    public static ConnectorsExtension? Find(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.GetExtension<ConnectorsExtension>();
    }

    /// <summary>The supervisor of connector <paramref name="name"/> (its stable backoff-supervisor address, which outlives restarts); null when no such connector is configured.</summary>
    public IActorRef? Supervisor(string name) => _supervisors.GetValueOrDefault(name);

    /// <summary>Lets supervisors deliver outcomes to entities of <paramref name="region"/> under <paramref name="route"/> (the region's actor name, by default).</summary>
    public void AddRoute(string route, IActorRef region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(route);
        ArgumentNullException.ThrowIfNull(region);
        if (route.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Route '{route}' contains '/'; a route is a region's name, and '/' separates it from the entity id.", nameof(route));
        }

        _routes[route] = region;
    }

    /// <summary>The region behind <paramref name="route"/>, or null.</summary>
    internal IActorRef? Route(string route) => _routes.GetValueOrDefault(route);
}
