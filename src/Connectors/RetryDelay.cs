namespace Coordinator.Connectors;

/// <summary>How long a supervisor waits before the next attempt of a transient failure: a pure function of the policy, the attempt and a jitter sample.</summary>
public static class RetryDelay
{
    /// <summary>
    /// The wait after failed attempt <paramref name="attempt"/> (1 for the first). When the system
    /// named a wait (<paramref name="retryAfter"/> above zero) it is that plus up to
    /// <see cref="ConnectorPolicy.BaseDelay"/> of jitter, at most
    /// <see cref="ConnectorPolicy.MaxRetryAfter"/>; else exponential backoff with full jitter:
    /// up to <see cref="ConnectorPolicy.BaseDelay"/> doubled per attempt, at most
    /// <see cref="ConnectorPolicy.MaxDelay"/>.
    /// </summary>
    /// <param name="policy">The connector's policy.</param>
    /// <param name="attempt">The attempt that failed, from 1.</param>
    /// <param name="retryAfter">The wait the system asked for (HTTP <c>Retry-After</c>), if any.</param>
    /// <param name="sample">A jitter sample in [0, 1), from a seedable source.</param>
    public static TimeSpan Next(ConnectorPolicy policy, int attempt, TimeSpan? retryAfter, double sample)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        sample = Math.Clamp(sample, 0, 1);
        if (retryAfter is { } after && after > TimeSpan.Zero)
        {
            var asked = after + (policy.BaseDelay * sample);
            return asked < policy.MaxRetryAfter ? asked : policy.MaxRetryAfter;
        }

        var ceiling = Math.Min(policy.MaxDelay.TotalMilliseconds, policy.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 62)));
        return TimeSpan.FromMilliseconds(sample * ceiling);
    }
}
