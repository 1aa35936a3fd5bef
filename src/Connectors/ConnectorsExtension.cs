using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Pattern;

namespace Coordinator.Connectors;

/// <summary>
/// The connectors of one Akka.NET actor system (an Akka <see cref="IExtension"/>): a supervisor per
/// configured connector, found by name, and the routes (shard regions) through which supervisors
/// deliver outcomes to the entities that asked for them
/// (<see cref="Coordinator.Contracts.ConnectorRequest.ReplyTo"/>).
/// </summary>
public sealed class ConnectorsExtension : IExtension
{
    private readonly Dictionary<string, IActorRef> _supervisors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IActorRef> _routes = new(StringComparer.Ordinal);

    private ConnectorsExtension(ConnectorMetrics metrics, TimeProvider time)
    {
        Metrics = metrics;
        Time = time;
    }

    /// <summary>The connectors' instruments (meter <see cref="ConnectorMetrics.MeterName"/>).</summary>
    public ConnectorMetrics Metrics { get; }

    /// <summary>The clock the supervisors stamp events with and their retries wait on.</summary>
    public TimeProvider Time { get; }

    /// <summary>The names of the connectors, as configured.</summary>
    public IReadOnlyCollection<string> Names => _supervisors.Keys;

    /// <summary>
    /// Starts one supervisor per connector (actor <c>connector-{name}</c>: Akka's
    /// <see cref="BackoffSupervisor"/> over the persistent <see cref="ConnectorSupervisor"/>, which
    /// recovers its outbox and circuit from the journal; see <see cref="Supervised"/>) and registers
    /// them with <paramref name="system"/>. The system owns the connectors from then on and disposes
    /// them (and the metrics) when it terminates.
    /// </summary>
    /// <param name="system">The actor system; its serialization must know the connectors' messages (<see cref="ConnectorJournal.AddConnectors"/>).</param>
    /// <param name="connectors">The connectors by name.</param>
    /// <param name="routes">Regions to deliver outcomes to, by route (see <see cref="AddRoute"/>). Give them here rather than later, so a supervisor recovering an outbox finds them at once.</param>
    /// <param name="metrics">The instruments; null for new ones.</param>
    /// <param name="time">The clock; null for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="InvalidOperationException">Connectors are started already for this system.</exception>
    public static ConnectorsExtension Start(ActorSystem system, IReadOnlyDictionary<string, IConnector> connectors, IReadOnlyDictionary<string, IActorRef>? routes = null, ConnectorMetrics? metrics = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(connectors);
        if (Find(system) is not null)
        {
            throw new InvalidOperationException($"Connectors are already started for actor system {system.Name}.");
        }

        metrics ??= new ConnectorMetrics(system.Name);
        var extension = new ConnectorsExtension(metrics, time ?? TimeProvider.System);
        if (!ReferenceEquals(system.RegisterExtension(new Id(extension)), extension))
        {
            throw new InvalidOperationException($"Connectors are already started for actor system {system.Name}.");
        }

        foreach (var (route, region) in routes ?? new Dictionary<string, IActorRef>())
        {
            extension.AddRoute(route, region);
        }

        foreach (var (name, connector) in connectors)
        {
            extension._supervisors[name] = system.ActorOf(Supervised(connector, metrics, extension.Time, extension.Route), $"connector-{name}");
        }

        system.RegisterOnTermination(() =>
        {
            foreach (var connector in connectors.Values)
            {
                connector.Dispose();
            }

            metrics.Dispose();
        });
        return extension;
    }

    /// <summary>
    /// Props of a connector's supervisor kept alive by Akka's <see cref="BackoffSupervisor"/> (on stop):
    /// a failed journal write or recovery stops the persistent <see cref="ConnectorSupervisor"/>, and it is
    /// started again after <see cref="ConnectorPolicy.RestartBackoff"/> (doubling up to
    /// <see cref="ConnectorPolicy.MaxRestartBackoff"/>, 20 % jitter, reset after it ran that long), recovers its outbox, queue and circuit, and runs its
    /// pending actions again under their keys. Callers keep the backoff supervisor's address, which forwards
    /// to the current incarnation (messages sent while it is down are dropped; step entities send again).
    /// </summary>
    /// <param name="connector">The connector.</param>
    /// <param name="metrics">The instruments.</param>
    /// <param name="time">The clock; null for <see cref="TimeProvider.System"/>.</param>
    /// <param name="routes">Finds a route's region; null for those of <see cref="Find"/>.</param>
    /// <param name="jitter">Draws the retry jitter; null for <see cref="Random.Shared"/>.</param>
    public static Props Supervised(IConnector connector, ConnectorMetrics metrics, TimeProvider? time = null, Func<string, IActorRef?>? routes = null, Random? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        var policy = connector.Policy;
        var options = Backoff.OnStop(ConnectorSupervisor.Props(connector, metrics, time, jitter, routes), "supervisor", policy.RestartBackoff, policy.MaxRestartBackoff, 0.2, maxNrOfRetries: -1)
            .WithAutoReset(policy.MaxRestartBackoff);
        return BackoffSupervisor.Props(options);
    }

    /// <summary>The connectors of <paramref name="system"/>, or null when none were started.</summary>
    public static ConnectorsExtension? Find(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.HasExtension<ConnectorsExtension>() ? system.GetExtension<ConnectorsExtension>() : null;
    }

    /// <summary>The supervisor of connector <paramref name="name"/> (its stable backoff-supervisor address, which outlives restarts); null when no such connector is configured.</summary>
    public IActorRef? Supervisor(string name) => _supervisors.GetValueOrDefault(name);

    /// <summary>Lets supervisors deliver outcomes to entities of <paramref name="region"/> (a shard region) under <paramref name="route"/> (the region's name, by default).</summary>
    /// <exception cref="ArgumentException">The route is empty or contains <c>/</c>.</exception>
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

    /// <summary>Registers an extension built by <see cref="Start"/> (Akka creates extensions through an id).</summary>
    private sealed class Id(ConnectorsExtension extension) : ExtensionIdProvider<ConnectorsExtension>
    {
        public override ConnectorsExtension CreateExtension(ExtendedActorSystem system) => extension;
    }
}
