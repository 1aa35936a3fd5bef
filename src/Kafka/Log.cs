using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Coordinator.Kafka;

/// <summary>The Kafka layer's log messages. Event ids 3000–3099.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(3000, LogLevel.Information, "Ingress assigned {Partitions}")]
    public static partial void Assigned(ILogger logger, string partitions);

    [LoggerMessage(3001, LogLevel.Information, "Ingress revoked {Partitions}: in-flight records finished, watermarks committed, shards handed off")]
    public static partial void Revoked(ILogger logger, string partitions);

    [LoggerMessage(3002, LogLevel.Warning, "Ingress lost {Partitions} (session timed out): nothing committed, shards handed off; the new owner replays from the last commit")]
    public static partial void Lost(ILogger logger, string partitions);

    [LoggerMessage(3003, LogLevel.Warning, "Revoking {Partition}: {InFlight} records still in flight after {Timeout}; giving it up at watermark {Watermark} (the new owner replays the rest, entities drop what was already applied)")]
    public static partial void RevokeTimedOut(ILogger logger, string partition, int inFlight, TimeSpan timeout, long? watermark);

    [LoggerMessage(3004, LogLevel.Warning, "Offset commit failed; retrying at the next interval")]
    public static partial void CommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(3005, LogLevel.Warning, "Rewinding {Partition} to offset {Offset}: an entity could not journal a record; applied records are dropped as duplicates on the way")]
    public static partial void Rewinding(ILogger logger, string partition, long offset);

    [LoggerMessage(3006, LogLevel.Warning, "Poison record {Topic}/{Partition}@{Offset} ({Reason}): {Detail}")]
    public static partial void Poison(ILogger logger, string topic, int partition, long offset, string reason, string detail);

    [LoggerMessage(3007, LogLevel.Warning, "Kafka consumer error: {Reason} ({Code}); the client retries")]
    public static partial void ConsumerError(ILogger logger, string reason, string code);

    [LoggerMessage(3008, LogLevel.Error, "Could not record a dead letter ({Lane} failure, not about its data); its partition waits, retrying in {Delay}")]
    public static partial void DeadLetterWriteFailed(ILogger logger, Exception exception, string lane, TimeSpan delay);

    [LoggerMessage(3009, LogLevel.Error, "The Kafka consumer hit a fatal error: {Reason}; the ingress stops")]
    public static partial void Fatal(ILogger logger, string reason);

    [LoggerMessage(3010, LogLevel.Warning, "Shard hand-off of {Partition} did not finish within {Timeout}; its entities may still be running here while the new owner starts them")]
    public static partial void HandOffTimedOut(ILogger logger, string partition, TimeSpan timeout);

    [LoggerMessage(EventId = 3011, Message = "librdkafka {Client} [{Facility}]: {Text}")]
    public static partial void Librdkafka(ILogger logger, LogLevel level, string client, string facility, string text);

    [LoggerMessage(3012, LogLevel.Warning, "Shard hand-off of {Partition} failed; its entities may still be running here while the new owner starts them")]
    public static partial void HandOffFailed(ILogger logger, Exception exception, string partition);

    [LoggerMessage(3013, LogLevel.Warning, "Partitions {Partitions} of {Topic} are assigned here, but their shards were not handed over from another node within {Timeout}; their records go to the shards where they are (across the network) until Akka's rebalance moves them")]
    public static partial void ClaimTimedOut(ILogger logger, string topic, string partitions, TimeSpan timeout);

    [LoggerMessage(3014, LogLevel.Error, "Dead letter {Topic}/{Partition}@{Offset} ({Reason}) could not be recorded in the {Target}: it refused the letter's data for good ({Failure}). This entry and the count coordinator.ingress.dead_letters_unwritable record it there; the partition moves on past it. Key (base64): {Key}; value (base64): {Value}; detail: {Detail}")]
    public static partial void DeadLetterUnwritable(ILogger logger, Exception exception, string topic, int partition, long offset, string reason, string target, string failure, string key, string value, string detail);

    [LoggerMessage(3015, LogLevel.Warning, "Dead letter {Topic}/{Partition}@{Offset} ({Reason}) was refused by the store as read ({Failure}); writing it reduced: the key as bytes only, the detail escaped to ASCII")]
    public static partial void DeadLetterReduced(ILogger logger, string topic, int partition, long offset, string reason, string failure);

    /// <summary>Routes one of librdkafka's log lines (a client's <c>SetLogHandler</c>) to <paramref name="logger"/>.</summary>
    public static void Client(ILogger logger, LogMessage message)
    {
        var level = Level(message.Level);
        if (logger.IsEnabled(level))
        {
            Librdkafka(logger, level, message.Name, message.Facility, message.Message);
        }
    }

    /// <summary>librdkafka's syslog levels as <see cref="LogLevel"/>: notice and info are routine (connections, rebalances), debug only with <c>debug</c> set.</summary>
    public static LogLevel Level(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
