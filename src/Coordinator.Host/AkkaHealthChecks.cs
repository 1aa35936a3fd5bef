using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Coordinator.Host;

/// <summary>Live while the Akka actor system runs and is not shutting down.</summary>
internal sealed class AkkaSystemHealthCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(system.WhenTerminated.IsCompleted
            ? HealthCheckResult.Unhealthy($"Akka actor system {system.Name} has terminated.")
            : CoordinatedShutdown.Get(system).ShutdownReason is { } reason
                ? HealthCheckResult.Unhealthy($"Akka actor system {system.Name} is shutting down ({reason.GetType().Name}).")
                : HealthCheckResult.Healthy($"Akka actor system {system.Name} is running."));
}

/// <summary>Ready once this node is an <c>Up</c> member of its cluster.</summary>
internal sealed class ClusterMemberHealthCheck(ActorSystem system) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var cluster = Cluster.Get(system);
        var self = cluster.SelfMember;
        return Task.FromResult(self.Status == MemberStatus.Up
            ? HealthCheckResult.Healthy($"{cluster.SelfAddress} is Up among {cluster.State.Members.Count} member(s).")
            : HealthCheckResult.Unhealthy($"{cluster.SelfAddress} is {self.Status}, not Up: it has not joined its seed nodes yet (Coordinator:Cluster:SeedNodes) or is leaving."));
    }
}

/// <summary>Ready when the Akka journal answers a read within two seconds (a highest-sequence-number query of a health id).</summary>
internal sealed class AkkaJournalHealthCheck(ActorSystem system) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null);
            var answer = await journal.Ask<object>(replyTo => new ReplayMessages(1, 0, 0, "$health", replyTo), TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return answer switch
            {
                RecoverySuccess => HealthCheckResult.Healthy("The Akka journal answers."),
                ReplayMessagesFailure failure => HealthCheckResult.Unhealthy($"The Akka journal failed a read: {failure.Cause.Message}", failure.Cause),
                _ => HealthCheckResult.Unhealthy($"The Akka journal answered {answer.GetType().Name}."),
            };
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("The Akka journal did not answer within 2 s.", ex);
        }
    }
}
