namespace Coordinator.Actors.TestKit;

/// <summary>
/// A clock that moves only when told. <see cref="Advance"/> fires every timer that falls due,
/// in due order (periodic ones as many times as they fall due), on the calling thread, so tests
/// of timers, receive timeouts, backoff, restart windows and ask timeouts need no sleeping.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private long _ticks;
    private long _sequence;

    /// <summary>Starts at <paramref name="start"/> (default 2026-01-01T00:00Z).</summary>
    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _now = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Timers created and not yet disposed or expired.</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(static t => t.DueTicks != long.MaxValue);
            }
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _ticks;
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing the timers that fall due.</summary>
    public void Advance(TimeSpan delta)
    {
        if (delta < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "Time only moves forward; pass a positive delta.");
        }

        long target;
        lock (_gate)
        {
            target = _ticks + delta.Ticks;
        }

        while (true)
        {
            ManualTimer? due = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueTicks <= target && (due is null || timer.DueTicks < due.DueTicks || (timer.DueTicks == due.DueTicks && timer.Sequence < due.Sequence)))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    MoveTo(target);
                    return;
                }

                MoveTo(Math.Max(_ticks, due.DueTicks));
                due.DueTicks = due.PeriodTicks > 0 ? due.DueTicks + due.PeriodTicks : long.MaxValue;
                due.Sequence = ++_sequence;
            }

            due.Fire();
        }
    }

    private void MoveTo(long ticks)
    {
        _now += TimeSpan.FromTicks(ticks - _ticks);
        _ticks = ticks;
    }

    private void Reschedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            timer.DueTicks = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : _ticks + Math.Max(0, dueTime.Ticks);
            timer.PeriodTicks = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? 0 : period.Ticks;
            timer.Sequence = ++_sequence;
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public long DueTicks { get; set; } = long.MaxValue;

        public long PeriodTicks { get; set; }

        public long Sequence { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (Volatile.Read(ref _disposed))
            {
                return false;
            }

            owner.Reschedule(this, dueTime, period);
            return true;
        }

        public void Fire()
        {
            if (!Volatile.Read(ref _disposed))
            {
                callback(state);
            }
        }

        public void Dispose()
        {
            Volatile.Write(ref _disposed, true);
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
