namespace Coordinator.Actors.Supervision;

/// <summary>
/// Keeps one child alive, restarting it after an exponentially growing, jittered delay
/// (Akka.NET's BackoffSupervisor), so that a child that keeps failing against a broken
/// dependency does not hammer it. Messages sent to the supervisor are forwarded to the child
/// (to dead letters while it is down). It answers <see cref="GetCurrentChild"/> and
/// <see cref="GetRestartCount"/>, and resets on <see cref="Reset"/>.
/// </summary>
public sealed class BackoffSupervisor : ActorBase, IWithTimers
{
    private const string StartTimer = "backoff-start";
    private const string ResetTimer = "backoff-reset";

    private readonly BackoffOptions _options;
    private IActorRef? _child;
    private int _restartCount;
    private bool _childFailed;

    private BackoffSupervisor(BackoffOptions options)
    {
        _options = options;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of a supervisor with <paramref name="options"/>.</summary>
    public static Props Props(BackoffOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Actors.Props.Create(() => new BackoffSupervisor(options));
    }

    /// <summary>
    /// The delay before restart number <paramref name="restartCount"/> (0 for the first):
    /// <c>min(max, min × 2ⁿ) × (1 + random × randomFactor)</c>.
    /// </summary>
    public static TimeSpan CalculateDelay(int restartCount, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var jitter = 1.0 + (random.NextDouble() * randomFactor);
        var capped = restartCount >= 30
            ? maxBackoff.Ticks
            : Math.Min(maxBackoff.Ticks, minBackoff.Ticks * Math.Pow(2, restartCount));
        var ticks = capped * jitter;
        return ticks >= TimeSpan.MaxValue.Ticks ? maxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    /// <inheritdoc />
    protected override void PreStart() => StartChild();

    /// <inheritdoc />
    protected override SupervisorStrategy? SupervisorStrategy()
        => _options.Mode == BackoffMode.OnFailure
            ? new OneForOneStrategy(cause =>
            {
                _childFailed = true;
                return Directive.Stop;
            })
            : null;

    /// <inheritdoc />
    protected override bool Receive(object message)
    {
        switch (message)
        {
            case StartChildMessage:
                StartChild();
                return true;
            case ResetRestartCount reset:
                if (reset.Current == _restartCount)
                {
                    _restartCount = 0;
                }

                return true;
            case Reset:
                _restartCount = 0;
                return true;
            case GetCurrentChild:
                Sender.Tell(new CurrentChild(_child), Self);
                return true;
            case GetRestartCount:
                Sender.Tell(new RestartCount(_restartCount), Self);
                return true;
            case Terminated terminated when terminated.ActorRef.Equals(_child):
                OnChildTerminated();
                return true;
            default:
                if (_child is { } child)
                {
                    child.Tell(message, Sender);
                }
                else
                {
                    Context.System.DeadLetters.Tell(message, Sender);
                }

                return true;
        }
    }

    private void StartChild()
    {
        if (_child is not null)
        {
            return;
        }

        _childFailed = false;
        _child = Context.Watch(Context.ActorOf(_options.ChildProps, _options.ChildName));
        if (_options.ResetBackoff is { } reset && _restartCount > 0)
        {
            Timers.StartSingleTimer(ResetTimer, new ResetRestartCount(_restartCount), reset);
        }
    }

    private void OnChildTerminated()
    {
        _child = null;
        Timers.Cancel(ResetTimer);
        var gaveUp = _options.MaxNrOfRetries >= 0 && _restartCount >= _options.MaxNrOfRetries;
        if ((_options.Mode == BackoffMode.OnFailure && !_childFailed) || gaveUp)
        {
            Context.Stop(Self);
            return;
        }

        var delay = CalculateDelay(_restartCount, _options.MinBackoff, _options.MaxBackoff, _options.RandomFactor, _options.Random);
        _restartCount++;
        Timers.StartSingleTimer(StartTimer, StartChildMessage.Instance, delay);
    }

    /// <summary>Asks for the current child; answered with <see cref="CurrentChild"/>.</summary>
    public sealed class GetCurrentChild
    {
        private GetCurrentChild()
        {
        }

        /// <summary>The single instance.</summary>
        public static GetCurrentChild Instance { get; } = new();
    }

    /// <summary>The child, or null while it waits for its restart.</summary>
    /// <param name="Ref">The child.</param>
    public sealed record CurrentChild(IActorRef? Ref);

    /// <summary>Asks for the restart count; answered with <see cref="RestartCount"/>.</summary>
    public sealed class GetRestartCount
    {
        private GetRestartCount()
        {
        }

        /// <summary>The single instance.</summary>
        public static GetRestartCount Instance { get; } = new();
    }

    /// <summary>Restarts since the last reset.</summary>
    /// <param name="Count">The count.</param>
    public sealed record RestartCount(int Count);

    /// <summary>Resets the backoff to its minimum.</summary>
    public sealed class Reset
    {
        private Reset()
        {
        }

        /// <summary>The single instance.</summary>
        public static Reset Instance { get; } = new();
    }

    private sealed class StartChildMessage
    {
        public static readonly StartChildMessage Instance = new();
    }

    private sealed record ResetRestartCount(int Current);
}
