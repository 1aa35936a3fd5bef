using Akka.Actor;

namespace Coordinator.Persistence.Hosting;

/// <summary>Starts an actor system's scheduler from the thread that created the system.</summary>
/// <remarks>
/// Akka.NET 1.5's <see cref="HashedWheelTimerScheduler"/> starts its clock on first use, with
/// <c>Task.Run</c>, and blocks every caller until the clock runs. When hundreds of actors schedule
/// their first timers at once (the recovery timeouts of persistent actors started together) they
/// block every thread-pool thread, and the clock's start waits in the pool's queue behind them
/// until the pool has grown enough: measured here as a stall of over a minute on two cores
/// (<c>RecoveryBatchingContract</c> failed one run in five before this). Started once while the
/// pool is idle, it never blocks again.
/// </remarks>
public static class SchedulerStart
{
    /// <summary>Starts <paramref name="system"/>'s scheduler now; returns the system.</summary>
    public static TSystem StartScheduler<TSystem>(this TSystem system)
        where TSystem : ActorSystem
    {
        ArgumentNullException.ThrowIfNull(system);
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
        return system;
    }
}
