using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Coordinator.Host;

/// <summary>Ready when the journal answers a read within two seconds.</summary>
internal sealed class JournalHealthCheck(ActorSystemService service) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (service.Persistence is not { } persistence)
        {
            return HealthCheckResult.Unhealthy("The journal has not started yet.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await persistence.Journal.ReadHighestSequenceNrAsync("$health", timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{persistence.PendingEvents} events waiting to be written.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || timeout.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"The journal did not answer: {ex.Message}", ex);
        }
    }
}
