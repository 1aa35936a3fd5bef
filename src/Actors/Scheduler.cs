using System.Collections.Concurrent;

namespace Coordinator.Actors;

/// <summary>A scheduled send that can be cancelled.</summary>
public interface ICancelable
{
    /// <summary>True once cancelled.</summary>
    bool IsCancellationRequested { get; }

    /// <summary>Cancels the send(s) not yet made.</summary>
    void Cancel();
}

/// <summary>
/// Sends messages later, on the system's <see cref="TimeProvider"/>. Inside an actor prefer
/// <see cref="IWithTimers"/>, whose timers die with the actor.
/// </summary>
public sealed class Scheduler
{
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<ScheduledSend, byte> _pending = new();

    internal Scheduler(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Sends <paramref name="message"/> to <paramref name="receiver"/> once, after <paramref name="delay"/>.</summary>
    public ICancelable ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender)
        => Schedule(delay, Timeout.InfiniteTimeSpan, receiver, message, sender);

    /// <summary>Sends <paramref name="message"/> after <paramref name="initialDelay"/> and then every <paramref name="interval"/>.</summary>
    public ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "A repeated send needs a positive interval.");
        }

        return Schedule(initialDelay, interval, receiver, message, sender);
    }

    internal void CancelAll()
    {
        foreach (var send in _pending.Keys)
        {
            send.Cancel();
        }
    }

    private ScheduledSend Schedule(TimeSpan delay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(message);
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "A delay must not be negative.");
        }

        var send = new ScheduledSend(this, receiver, message, sender, repeated: interval != Timeout.InfiniteTimeSpan);
        _pending[send] = 0;
        send.Start(_time, delay, interval);
        return send;
    }

    private sealed class ScheduledSend(Scheduler owner, IActorRef receiver, object message, IActorRef? sender, bool repeated) : ICancelable
    {
        private ITimer? _timer;
        private int _cancelled;

        public bool IsCancellationRequested => Volatile.Read(ref _cancelled) == 1;

        public void Start(TimeProvider time, TimeSpan delay, TimeSpan interval)
        {
            var timer = time.CreateTimer(static s => ((ScheduledSend)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer = timer;
            timer.Change(delay, interval);
            if (IsCancellationRequested)
            {
                timer.Dispose();
            }
        }

        public void Cancel()
        {
            if (Interlocked.Exchange(ref _cancelled, 1) == 0)
            {
                _timer?.Dispose();
                owner._pending.TryRemove(this, out _);
            }
        }

        private void Fire()
        {
            if (IsCancellationRequested)
            {
                return;
            }

            receiver.Tell(message, sender);
            if (!repeated)
            {
                Cancel();
            }
        }
    }
}
