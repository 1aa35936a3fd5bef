using Coordinator.Actors.Supervision;
using Microsoft.Extensions.Logging;
using static Coordinator.Actors.Tests.TestActors;

namespace Coordinator.Actors.Tests.Supervision;

public sealed class GuardianTests() : ActorTest(configure: s => new ActorSystemSettings
{
    TimeProvider = s.TimeProvider,
    ShutdownPhaseTimeout = s.ShutdownPhaseTimeout,
    LoggerFactory = Logs,
    GuardianSupervisorStrategy = new OneForOneStrategy(_ => Directive.Escalate),
})
{
    private static readonly CapturingLoggerFactory Logs = new();

    [Fact]
    public async Task EscalationToTheGuardian_IsLoggedAndTheActorStopped()
    {
        var watcher = CreateProbe();
        var top = Sys.ActorOf(Props.Create(() => new Fragile(null)), "escalates-to-guardian");
        watcher.Watch(top);
        top.Tell(new InvalidOperationException("nobody above"), null);
        await watcher.ExpectTerminatedAsync(top);
        Assert.Contains(Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("/user/escalates-to-guardian", StringComparison.Ordinal) && e.Message.Contains("guardian", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GuardianStop_DoesNotAffectOtherTopLevelActors()
    {
        var top = Sys.ActorOf(Props.Create(() => new Fragile(null)));
        var other = Sys.ActorOf(Props.Create<Echo>());
        top.Tell(new InvalidOperationException("x"), null);
        Assert.Equal("alive", await other.Ask<string>("alive"));
    }
}

/// <summary>Keeps log entries in memory for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                owner._entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
