namespace Coordinator.Actors.Supervision;

/// <summary>When a <see cref="BackoffSupervisor"/> restarts its child.</summary>
public enum BackoffMode
{
    /// <summary>Restart after backoff whenever the child stops (it restarts normally on exceptions under the default strategy).</summary>
    OnStop,

    /// <summary>Stop the child when it throws and start it again after backoff; if it stops by itself, the supervisor stops too.</summary>
    OnFailure,
}

/// <summary>
/// Settings of a <see cref="BackoffSupervisor"/>: the child, the backoff range and jitter, when
/// the backoff resets, and when to give up. The delay before restart n (counting from 0) is
/// <c>min(maxBackoff, minBackoff × 2ⁿ) × (1 + random × randomFactor)</c>, Akka.NET's formula:
/// the jitter applies after the cap, so a delay can exceed <c>maxBackoff</c> by up to
/// <c>randomFactor</c>.
/// </summary>
public sealed record BackoffOptions
{
    private BackoffOptions(BackoffMode mode, Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
    {
        ArgumentNullException.ThrowIfNull(childProps);
        ActorPath.ValidateName(childName);
        if (minBackoff <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(minBackoff), minBackoff, "minBackoff must be positive, e.g. 1 s.");
        }

        if (maxBackoff < minBackoff)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBackoff), maxBackoff, $"maxBackoff must be at least minBackoff ({minBackoff}).");
        }

        if (randomFactor is < 0 or > 1 || double.IsNaN(randomFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(randomFactor), randomFactor, "randomFactor must be between 0 (no jitter) and 1 (up to double the delay); 0.2 is typical.");
        }

        Mode = mode;
        ChildProps = childProps;
        ChildName = childName;
        MinBackoff = minBackoff;
        MaxBackoff = maxBackoff;
        RandomFactor = randomFactor;
        ResetBackoff = minBackoff;
    }

    /// <summary>When the child is restarted.</summary>
    public BackoffMode Mode { get; }

    /// <summary>Props of the supervised child.</summary>
    public Props ChildProps { get; }

    /// <summary>Name of the child under the supervisor.</summary>
    public string ChildName { get; }

    /// <summary>Delay before the first restart.</summary>
    public TimeSpan MinBackoff { get; }

    /// <summary>Cap of the exponential delay (before jitter).</summary>
    public TimeSpan MaxBackoff { get; }

    /// <summary>Jitter: up to this fraction of the delay is added at random. <value>0 to 1.</value></summary>
    public double RandomFactor { get; }

    /// <summary>Restarts before the supervisor gives up and stops itself; -1 for no limit. <value>Default: -1.</value></summary>
    public int MaxNrOfRetries { get; private init; } = -1;

    /// <summary>The child must run this long for the backoff to reset; null resets only on <see cref="BackoffSupervisor.Reset"/>. <value>Default: <see cref="MinBackoff"/>.</value></summary>
    public TimeSpan? ResetBackoff { get; private init; }

    /// <summary>The jitter's random source. <value>Default: <see cref="Random.Shared"/>.</value></summary>
    public Random Random { get; private init; } = Random.Shared;

    /// <summary>Restart after backoff whenever the child stops.</summary>
    public static BackoffOptions OnStop(Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
        => new(BackoffMode.OnStop, childProps, childName, minBackoff, maxBackoff, randomFactor);

    /// <summary>Stop the child when it fails, start it again after backoff.</summary>
    public static BackoffOptions OnFailure(Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
        => new(BackoffMode.OnFailure, childProps, childName, minBackoff, maxBackoff, randomFactor);

    /// <summary>Gives up after <paramref name="maxNrOfRetries"/> restarts (-1: never).</summary>
    public BackoffOptions WithMaxNrOfRetries(int maxNrOfRetries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNrOfRetries, -1);
        return this with { MaxNrOfRetries = maxNrOfRetries };
    }

    /// <summary>Resets the backoff after the child ran <paramref name="resetBackoff"/> without stopping.</summary>
    public BackoffOptions WithAutoReset(TimeSpan resetBackoff)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resetBackoff, TimeSpan.Zero);
        return this with { ResetBackoff = resetBackoff };
    }

    /// <summary>Resets the backoff only when the supervisor receives <see cref="BackoffSupervisor.Reset"/>.</summary>
    public BackoffOptions WithManualReset() => this with { ResetBackoff = null };

    /// <summary>Uses <paramref name="random"/> for jitter (seed it for reproducible tests).</summary>
    public BackoffOptions WithRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return this with { Random = random };
    }

    /// <summary>Props of a <see cref="BackoffSupervisor"/> with these options.</summary>
    public Props Props() => BackoffSupervisor.Props(this);
}
