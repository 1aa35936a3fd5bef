using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Coordinator.Actors.Shutdown;

/// <summary>Why the system is shutting down.</summary>
/// <param name="Description">A human-readable reason, logged and kept.</param>
public sealed record ShutdownReason(string Description)
{
    /// <summary>The host is stopping (SIGTERM, Ctrl+C, orchestrator).</summary>
    public static ShutdownReason HostStopping { get; } = new("host stopping");

    /// <summary><see cref="ActorSystem.Terminate"/> or disposal was called.</summary>
    public static ShutdownReason ActorSystemTerminated { get; } = new("actor system terminate");

    /// <summary>An operator asked the node to leave (e.g. from the command line).</summary>
    public static ShutdownReason OperatorLeave { get; } = new("operator asked the node to leave");
}

/// <summary>What a finished coordinated shutdown did.</summary>
/// <param name="Reason">Why it ran.</param>
/// <param name="Elapsed">How long it took.</param>
/// <param name="TimedOutPhases">Phases that hit their timeout (their remaining tasks were abandoned).</param>
/// <param name="FailedTasks">Tasks that threw, as "phase/task".</param>
public sealed record ShutdownResult(ShutdownReason Reason, TimeSpan Elapsed, IReadOnlyList<string> TimedOutPhases, IReadOnlyList<string> FailedTasks);

/// <summary>
/// Stops the node in ordered phases (Akka.NET's CoordinatedShutdown). Components add tasks to
/// the phase they belong to: stop taking traffic, finish in-flight requests, hand shards back
/// (Kafka partitions are revoked and offsets committed in
/// <see cref="Phases.ClusterShardingShutdownRegion"/>), leave, then terminate the actor system.
/// Phases run in order; the tasks of one phase run concurrently; each phase is bounded by its
/// timeout, after which shutdown goes on (a stuck task never blocks it forever). The last phase
/// stops every actor, children before parents, waiting for async handlers in flight.
/// </summary>
public sealed class CoordinatedShutdown
{
    private readonly ActorSystem _system;
    private readonly TimeSpan _phaseTimeout;
    private readonly Dictionary<string, List<(string Name, Func<CancellationToken, Task> Run)>> _tasks;
    private readonly object _gate = new();
    private Task<ShutdownResult>? _run;
    private int _runningPhase = -1;

    internal CoordinatedShutdown(ActorSystem system, TimeSpan phaseTimeout)
    {
        _system = system;
        _phaseTimeout = phaseTimeout;
        _tasks = Phases.Ordered.ToDictionary(static p => p, static _ => new List<(string, Func<CancellationToken, Task>)>(), StringComparer.Ordinal);
    }

    /// <summary>The reason given to the first <see cref="Run"/>, or null while not shutting down.</summary>
    public ShutdownReason? Reason { get; private set; }

    /// <summary>The shutdown in progress or done, or null.</summary>
    public Task<ShutdownResult>? Completion => _run;

    /// <summary>Adds a task to <paramref name="phase"/>. The token is cancelled when the phase times out.</summary>
    /// <exception cref="ArgumentException">The phase is not one of <see cref="Phases.Ordered"/>.</exception>
    /// <exception cref="InvalidOperationException">Shutdown has already passed that phase.</exception>
    public void AddTask(string phase, string taskName, Func<CancellationToken, Task> task)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskName);
        ArgumentNullException.ThrowIfNull(task);
        lock (_gate)
        {
            if (!_tasks.TryGetValue(phase, out var tasks))
            {
                throw new ArgumentException($"Unknown shutdown phase '{phase}'; use one of: {string.Join(", ", Phases.Ordered)}.", nameof(phase));
            }

            if (_runningPhase >= IndexOfPhase(phase))
            {
                throw new InvalidOperationException($"Coordinated shutdown has already reached phase '{phase}'; task '{taskName}' cannot be added any more.");
            }

            tasks.Add((taskName, task));
        }
    }

    /// <summary>Runs the shutdown once; later calls return the same task.</summary>
    public Task<ShutdownResult> Run(ShutdownReason reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        lock (_gate)
        {
            if (_run is null)
            {
                Reason = reason;
                _run = Task.Run(() => RunPhasesAsync(reason));
            }

            return _run;
        }
    }

    private async Task<ShutdownResult> RunPhasesAsync(ShutdownReason reason)
    {
        var time = _system.TimeProvider;
        var started = Stopwatch.GetTimestamp();
        var timedOut = new List<string>();
        var failed = new List<string>();
        _system.Log.ShutdownStarted(_system.Name, reason.Description);
        for (var i = 0; i < Phases.Ordered.Count; i++)
        {
            var phase = Phases.Ordered[i];
            List<(string Name, Func<CancellationToken, Task> Run)> tasks;
            lock (_gate)
            {
                _runningPhase = i;
                tasks = [.. _tasks[phase]];
            }

            if (phase == Phases.ActorSystemTerminate)
            {
                tasks.Add(("terminate-actor-system", _ => _system.TerminateActors()));
            }

            if (tasks.Count == 0)
            {
                continue;
            }

            using var cts = new CancellationTokenSource(_phaseTimeout, time);
            var cutOff = new StrongBox<bool>();
            var all = Task.WhenAll(tasks.ConvertAll(t => RunTask(phase, t.Name, t.Run, failed, cutOff, cts.Token)));
            try
            {
                await all.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                cutOff.Value = true;
            }

            // Timed out if the wait expired, or if a task stopped because the phase's token was cancelled.
            if (cutOff.Value)
            {
                timedOut.Add(phase);
                _system.Log.ShutdownPhaseTimedOut(phase, _phaseTimeout.TotalMilliseconds);
            }
        }

        if (timedOut.Contains(Phases.ActorSystemTerminate))
        {
            // Actors did not all stop in time: the system is declared terminated regardless.
            _system.ForceTerminated();
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        _system.Log.ShutdownFinished(_system.Name, elapsed.TotalMilliseconds);
        return new ShutdownResult(reason, elapsed, timedOut, failed);
    }

    private static int IndexOfPhase(string phase)
    {
        for (var i = 0; i < Phases.Ordered.Count; i++)
        {
            if (Phases.Ordered[i] == phase)
            {
                return i;
            }
        }

        return -1;
    }

    private async Task RunTask(string phase, string name, Func<CancellationToken, Task> run, List<string> failed, StrongBox<bool> cutOff, CancellationToken token)
    {
        try
        {
            await run(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            cutOff.Value = true;
        }
        catch (Exception ex)
        {
            lock (failed)
            {
                failed.Add($"{phase}/{name}");
            }

            _system.Log.ShutdownTaskFailed(ex, phase, name);
        }
    }

    /// <summary>The phases, in the order they run (Akka.NET's names).</summary>
    public static class Phases
    {
        /// <summary>Before the node stops accepting requests.</summary>
        public const string BeforeServiceUnbind = "before-service-unbind";

        /// <summary>Stop accepting new requests (HTTP, new Kafka fetches).</summary>
        public const string ServiceUnbind = "service-unbind";

        /// <summary>Wait for requests in flight to finish.</summary>
        public const string ServiceRequestsDone = "service-requests-done";

        /// <summary>Stop services.</summary>
        public const string ServiceStop = "service-stop";

        /// <summary>Before leaving the group of nodes.</summary>
        public const string BeforeClusterShutdown = "before-cluster-shutdown";

        /// <summary>Shard regions finish in-flight work, flush journals and commit offsets.</summary>
        public const string ClusterShardingShutdownRegion = "cluster-sharding-shutdown-region";

        /// <summary>Leave the consumer group.</summary>
        public const string ClusterLeave = "cluster-leave";

        /// <summary>Left; waiting for the others to notice.</summary>
        public const string ClusterExiting = "cluster-exiting";

        /// <summary>The others noticed.</summary>
        public const string ClusterExitingDone = "cluster-exiting-done";

        /// <summary>Close remaining group resources.</summary>
        public const string ClusterShutdown = "cluster-shutdown";

        /// <summary>Last chance before actors stop.</summary>
        public const string BeforeActorSystemTerminate = "before-actor-system-terminate";

        /// <summary>Stop every actor and terminate the system.</summary>
        public const string ActorSystemTerminate = "actor-system-terminate";

        /// <summary>All phases in order.</summary>
        public static IReadOnlyList<string> Ordered { get; } =
        [
            BeforeServiceUnbind, ServiceUnbind, ServiceRequestsDone, ServiceStop, BeforeClusterShutdown,
            ClusterShardingShutdownRegion, ClusterLeave, ClusterExiting, ClusterExitingDone, ClusterShutdown,
            BeforeActorSystemTerminate, ActorSystemTerminate,
        ];
    }
}
