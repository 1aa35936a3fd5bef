using Coordinator.Actors;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Coordinator.Host;

/// <summary>Healthy while the actor system runs and its user guardian answers within a second.</summary>
internal sealed class ActorSystemHealthCheck(ActorSystemService service) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var system = service.System;
        if (system.WhenTerminated.IsCompleted)
        {
            return HealthCheckResult.Unhealthy($"Actor system {system.Name} has terminated.");
        }

        if (system.CoordinatedShutdown.Reason is { } reason)
        {
            return HealthCheckResult.Unhealthy($"Actor system {system.Name} is shutting down: {reason.Description}.");
        }

        var guardian = system.Resolve("/user");
        if (guardian is null)
        {
            return HealthCheckResult.Unhealthy("The /user guardian is not running.");
        }

        try
        {
            await guardian.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return HealthCheckResult.Unhealthy("The /user guardian did not answer within 1 s: the dispatcher is starved or blocked.");
        }

        return HealthCheckResult.Healthy($"{system.AliveActors} actors alive, {system.MessagesProcessed} messages processed.");
    }
}
