namespace Coordinator.Host;

/// <summary>The host's log messages. Event ids 2000–2099.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Actor system {System} started")]
    public static partial void ActorSystemStarted(this ILogger logger, string system);

    [LoggerMessage(2002, LogLevel.Information, "Journal: {Provider} ({Location})")]
    public static partial void JournalStarted(this ILogger logger, string provider, string location);

    [LoggerMessage(2003, LogLevel.Information, "Connectors: {Count} under supervision ({Names})")]
    public static partial void ConnectorsStarted(this ILogger logger, int count, string names);

    [LoggerMessage(2001, LogLevel.Warning, "Shutdown finished with timed-out phases [{Phases}] and failed tasks [{Tasks}]")]
    public static partial void ShutdownIncomplete(this ILogger logger, string phases, string tasks);
}
