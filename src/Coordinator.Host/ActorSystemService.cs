using Coordinator.Actors;
using Coordinator.Actors.Shutdown;
using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>
/// Owns the process's <see cref="ActorSystem"/>: created from the validated options, and shut
/// down through its coordinated shutdown when the host stops (SIGTERM, Ctrl+C), so actors finish
/// their in-flight work before the process exits.
/// </summary>
internal sealed class ActorSystemService(IOptions<CoordinatorOptions> options, ILoggerFactory loggerFactory, TimeProvider time, ILogger<ActorSystemService> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly Lazy<ActorSystem> _system = new(() => ActorSystem.Create(options.Value.SystemName, new ActorSystemSettings
    {
        LoggerFactory = loggerFactory,
        TimeProvider = time,
        Throughput = options.Value.Throughput,
        ShutdownPhaseTimeout = options.Value.ShutdownPhaseTimeout,
    }));

    public ActorSystem System => _system.Value;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.ActorSystemStarted(System.Name);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_system.IsValueCreated)
        {
            return;
        }

        var result = await System.CoordinatedShutdown.Run(ShutdownReason.HostStopping).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.TimedOutPhases.Count > 0 || result.FailedTasks.Count > 0)
        {
            logger.ShutdownIncomplete(string.Join(", ", result.TimedOutPhases), string.Join(", ", result.FailedTasks));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_system.IsValueCreated)
        {
            await System.DisposeAsync().ConfigureAwait(false);
        }
    }
}
