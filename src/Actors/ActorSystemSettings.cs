using System.Diagnostics.Metrics;
using Coordinator.Actors.Supervision;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Actors;

/// <summary>Settings of an <see cref="ActorSystem"/>. Validated when the system is created.</summary>
public sealed class ActorSystemSettings
{
    /// <summary>The clock for timers, receive timeouts, ask timeouts, backoff and restart windows. <value>Default: <see cref="TimeProvider.System"/>.</value></summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the runtime logs. <value>Default: no logging.</value></summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Creates the runtime's meter; null makes a plain <see cref="Meter"/>. <value>Default: null.</value></summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Messages an actor processes per turn before it yields its thread (Akka.NET's dispatcher
    /// throughput). Higher is faster for busy actors, lower is fairer. <value>Default: 30.</value>
    /// </summary>
    public int Throughput { get; init; } = 30;

    /// <summary>Timeout of <c>Ask</c> when the caller gives none. <value>Default: 30 s.</value></summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most messages one actor may stash; more raise <see cref="StashOverflowException"/>. <value>Default: 100,000.</value></summary>
    public int StashCapacity { get; init; } = 100_000;

    /// <summary>How many dead letters are logged before logging stops (they are still counted and published). <value>Default: 10.</value></summary>
    public int LogDeadLetters { get; init; } = 10;

    /// <summary>
    /// Strategy of the <c>/user</c> guardian for top-level actors. An Escalate from it is logged
    /// and turned into Stop. <value>Default: <see cref="SupervisorStrategy.DefaultStrategy"/>.</value>
    /// </summary>
    public SupervisorStrategy? GuardianSupervisorStrategy { get; init; }

    /// <summary>Timeout of each coordinated-shutdown phase. <value>Default: 10 s.</value></summary>
    public TimeSpan ShutdownPhaseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks every value and throws with a message naming the setting and the fix.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (Throughput < 1)
        {
            throw new ArgumentException($"ActorSystemSettings.Throughput is {Throughput}; set it to 1 or more (30 is a good default).", nameof(Throughput));
        }

        if (AskTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ActorSystemSettings.AskTimeout is {AskTimeout}; set a positive duration.", nameof(AskTimeout));
        }

        if (StashCapacity < 1)
        {
            throw new ArgumentException($"ActorSystemSettings.StashCapacity is {StashCapacity}; set it to 1 or more.", nameof(StashCapacity));
        }

        if (LogDeadLetters < 0)
        {
            throw new ArgumentException($"ActorSystemSettings.LogDeadLetters is {LogDeadLetters}; set 0 to log none, or a positive count.", nameof(LogDeadLetters));
        }

        if (ShutdownPhaseTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ActorSystemSettings.ShutdownPhaseTimeout is {ShutdownPhaseTimeout}; set a positive duration.", nameof(ShutdownPhaseTimeout));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }
}
