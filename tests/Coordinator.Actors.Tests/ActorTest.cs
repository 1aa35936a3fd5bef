namespace Coordinator.Actors.Tests;

/// <summary>
/// Base of the runtime's tests: a fresh actor system per test, optionally on a manual clock,
/// shut down (and checked to shut down) after the test.
/// </summary>
public abstract class ActorTest : IAsyncLifetime
{
    private static int _systems;

    protected ActorTest(bool manualTime = false, Func<ActorSystemSettings, ActorSystemSettings>? configure = null)
    {
        Time = manualTime ? new ManualTimeProvider() : null;
        var settings = new ActorSystemSettings
        {
            TimeProvider = (TimeProvider?)Time ?? TimeProvider.System,
            ShutdownPhaseTimeout = TimeSpan.FromSeconds(10),
        };
        Sys = ActorSystem.Create($"test-{Interlocked.Increment(ref _systems)}", configure?.Invoke(settings) ?? settings);
    }

    protected ActorSystem Sys { get; }

    /// <summary>The manual clock, when the test asked for one.</summary>
    protected ManualTimeProvider? Time { get; }

    protected ManualTimeProvider Clock => Time ?? throw new InvalidOperationException("This test class was created without manualTime: true.");

    protected TestProbe CreateProbe(string? name = null) => new(Sys, name);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        var shutdown = Sys.Terminate();
        var finished = await Task.WhenAny(shutdown, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(finished == shutdown, $"{Sys} did not shut down within 20 s after the test.");
    }
}
