using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Coordinator.TestKit;

/// <summary>A logger provider that keeps every entry, for tests that check what was logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    /// <summary>Everything logged so far, oldest first.</summary>
    public IReadOnlyList<Entry> Entries => [.. _entries];

    /// <summary>A factory whose loggers write here.</summary>
    public ILoggerFactory Factory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    /// <summary>Every entry as one line: level, category, message and exception, for asserting what a log must not contain.</summary>
    public IEnumerable<string> Lines => _entries.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}");

    /// <summary>Entries with event id <paramref name="eventId"/>.</summary>
    public IReadOnlyList<Entry> WithEvent(int eventId) => [.. _entries.Where(e => e.EventId.Id == eventId)];

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>One log entry.</summary>
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
