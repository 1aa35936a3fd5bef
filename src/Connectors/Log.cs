using Microsoft.Extensions.Logging;

namespace Coordinator.Connectors;

/// <summary>The connectors' log messages. Event ids 4000–4099.</summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(4000, LogLevel.Warning, "Connector {Connector}: the outcome of {Key} is for {ReplyTo}, whose route is not registered (ConnectorsExtension.AddRoute); it stays in the outbox and is delivered again every RedeliverAfter")]
    public static partial void Unroutable(ILogger logger, string connector, string key, string replyTo);

    [LoggerMessage(4001, LogLevel.Warning, "Connector {Connector}: saving the snapshot at event {SequenceNr} failed; recovery replays more events until the next one succeeds")]
    public static partial void SnapshotFailed(ILogger logger, Exception exception, string connector, long sequenceNr);
}
