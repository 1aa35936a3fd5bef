namespace Coordinator.Actors;

/// <summary>Marks an actor that uses keyed timers; the runtime sets <see cref="Timers"/>.</summary>
public interface IWithTimers
{
    /// <summary>The actor's timers, injected by the runtime.</summary>
    ITimerScheduler Timers { get; set; }
}

/// <summary>
/// Keyed timers that send messages to the actor itself. Starting a timer with a key in use
/// replaces it, and a message of a replaced or cancelled timer is never delivered, even if it
/// was already queued. All timers are cancelled when the actor stops or restarts. Timers run on
/// the system's <see cref="TimeProvider"/>, so tests drive them with a fake clock.
/// </summary>
public interface ITimerScheduler
{
    /// <summary>Sends <paramref name="message"/> once after <paramref name="delay"/>.</summary>
    void StartSingleTimer(object key, object message, TimeSpan delay);

    /// <summary>Sends <paramref name="message"/> every <paramref name="interval"/>, starting after one interval.</summary>
    void StartPeriodicTimer(object key, object message, TimeSpan interval);

    /// <summary>Sends <paramref name="message"/> after <paramref name="initialDelay"/>, then every <paramref name="interval"/>.</summary>
    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);

    /// <summary>True while the timer of that key is running (a single timer until its message is delivered).</summary>
    bool IsTimerActive(object key);

    /// <summary>Cancels the timer of that key, if any.</summary>
    void Cancel(object key);

    /// <summary>Cancels every timer of this actor.</summary>
    void CancelAll();

    /// <summary>Keys of the running timers.</summary>
    IReadOnlyCollection<object> ActiveTimers { get; }
}
