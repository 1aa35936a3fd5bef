namespace Coordinator.Host;

/// <summary>The host's log messages. Event ids 2000–2099.</summary>
internal static partial class Log
{
    [LoggerMessage(2003, LogLevel.Information, "Connectors: {Count} under supervision ({Names})")]
    public static partial void ConnectorsStarted(this ILogger logger, int count, string names);

    [LoggerMessage(2010, LogLevel.Information, "Ingress: consuming {Topics} from {Servers} (embedded broker: {Embedded}); shards follow Kafka's assignment")]
    public static partial void IngressStarted(this ILogger logger, string topics, string servers, bool embedded);

    [LoggerMessage(2011, LogLevel.Information, "Operator API token: {Path} (set Coordinator:Admin:Token to use your own)")]
    public static partial void AdminTokenFile(this ILogger logger, string path);

    [LoggerMessage(2012, LogLevel.Information, "audit: operator {Method} {Path} from {Remote}")]
    public static partial void AdminRequest(this ILogger logger, string method, string path, string? remote);

    [LoggerMessage(2013, LogLevel.Warning, "audit: refused {Method} {Path} from {Remote}: missing or wrong bearer token")]
    public static partial void AdminRefused(this ILogger logger, string method, string path, string? remote);

    [LoggerMessage(2014, LogLevel.Error, "The Kafka ingress failed")]
    public static partial void IngressFailed(this ILogger logger, Exception exception);

    [LoggerMessage(2015, LogLevel.Warning, "The Kafka ingress stopped on its own; starting it again in {Delay} (the node is unready meanwhile)")]
    public static partial void IngressRestarting(this ILogger logger, TimeSpan delay);
}
