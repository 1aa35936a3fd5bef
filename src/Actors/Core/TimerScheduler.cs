namespace Coordinator.Actors.Core;

/// <summary>
/// Keyed timers of one actor, used only from the actor's own thread. Each start gets a new
/// generation; a fired message carries it, and the cell delivers it only while the key still
/// maps to that generation, so a replaced or cancelled timer's message is dropped even when it
/// was already queued.
/// </summary>
internal sealed class TimerScheduler(ActorCell cell) : ITimerScheduler
{
    private readonly Dictionary<object, Entry> _timers = [];
    private int _generation;

    public IReadOnlyCollection<object> ActiveTimers => [.. _timers.Keys];

    public void StartSingleTimer(object key, object message, TimeSpan delay)
        => Start(key, message, delay, Timeout.InfiniteTimeSpan, periodic: false);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval)
        => StartPeriodicTimer(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "A periodic timer needs a positive interval.");
        }

        Start(key, message, initialDelay, interval, periodic: true);
    }

    public bool IsTimerActive(object key) => _timers.ContainsKey(key);

    public void Cancel(object key)
    {
        if (_timers.Remove(key, out var entry))
        {
            entry.Timer.Dispose();
        }
    }

    public void CancelAll()
    {
        foreach (var entry in _timers.Values)
        {
            entry.Timer.Dispose();
        }

        _timers.Clear();
    }

    /// <summary>True when <paramref name="fired"/> belongs to the current timer of its key (and retires a single timer).</summary>
    internal bool Accept(TimerFired fired)
    {
        if (!_timers.TryGetValue(fired.Key, out var entry) || entry.Generation != fired.Generation)
        {
            return false;
        }

        if (!entry.Periodic)
        {
            _timers.Remove(fired.Key);
            entry.Timer.Dispose();
        }

        return true;
    }

    private void Start(object key, object message, TimeSpan dueTime, TimeSpan period, bool periodic)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        if (dueTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "A timer's delay must not be negative.");
        }

        Cancel(key);
        var fired = new TimerFired(key, ++_generation, message);
        var timer = cell.SystemImpl.TimeProvider.CreateTimer(
            static state =>
            {
                var (target, message) = (Tuple<ActorCell, TimerFired>)state!;
                target.Post(message, null);
            },
            Tuple.Create(cell, fired),
            dueTime,
            period);
        _timers[key] = new Entry(timer, fired.Generation, periodic);
    }

    private sealed record Entry(ITimer Timer, int Generation, bool Periodic);
}
