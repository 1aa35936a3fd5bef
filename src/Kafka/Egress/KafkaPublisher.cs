using System.Text;
using Confluent.Kafka;
using Coordinator.Contracts;
using Coordinator.Kafka.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Kafka.Egress;

/// <summary>
/// Publishes the coordinator's own events to Kafka through an idempotent producer with
/// <c>acks=all</c>: a broker retry never duplicates a record, and a publish completes only when
/// every in-sync replica has it. Every delivery report is checked; a failure surfaces as a
/// classified exception naming the topic, the key and what to do.
/// </summary>
public sealed class KafkaPublisher : IDisposable
{
    private readonly IProducer<string, byte[]> _producer;

    /// <summary>Creates the producer from validated <paramref name="options"/>.</summary>
    /// <param name="options">Validated Kafka options.</param>
    /// <param name="logger">Where librdkafka's log lines go; null for none.</param>
    public KafkaPublisher(KafkaOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = logger ?? NullLogger.Instance;
        _producer = new ProducerBuilder<string, byte[]>(options.ProducerConfig())
            .SetLogHandler((_, message) => KafkaLog.Client(log, message))
            .Build();
    }

    /// <summary>Publishes one record and waits for its delivery report.</summary>
    /// <returns>Where the record landed.</returns>
    /// <exception cref="DataException">The record itself is unacceptable (too large, invalid); retrying it cannot succeed.</exception>
    /// <exception cref="InfrastructureException">Kafka could not take it in time (unreachable, not authorised, fenced).</exception>
    public async Task<TopicPartitionOffset> PublishAsync(string topic, string key, ReadOnlyMemory<byte> value, IReadOnlyDictionary<string, string>? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentNullException.ThrowIfNull(key);
        var message = new Message<string, byte[]> { Key = key, Value = value.ToArray() };
        if (headers is not null)
        {
            message.Headers = [];
            foreach (var (name, text) in headers)
            {
                message.Headers.Add(name, Encoding.UTF8.GetBytes(text));
            }
        }

        try
        {
            var report = await _producer.ProduceAsync(topic, message, cancellationToken).ConfigureAwait(false);
            return report.Status == PersistenceStatus.Persisted
                ? report.TopicPartitionOffset
                : throw new InfrastructureException($"Kafka did not confirm the record for '{topic}' (key '{key}'): status {report.Status}. It may or may not be stored; the idempotent producer makes a retry safe.");
        }
        catch (ProduceException<string, byte[]> ex)
        {
            throw Classify(topic, key, ex.Error, ex);
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for records in flight; returns how many are still undelivered.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    /// <inheritdoc />
    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    private static ClassifiedException Classify(string topic, string key, Error error, Exception inner)
    {
        var where = $"Publishing to '{topic}' (key '{key}') failed: {error.Reason} ({error.Code})";
        return error.Code switch
        {
            ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidMsg or ErrorCode.InvalidMsgSize or ErrorCode.InvalidRecord
                => new DataException($"{where}. The record itself is unacceptable; fix it (or raise the topic's max.message.bytes) rather than retrying.", inner),
            ErrorCode.Local_MsgTimedOut or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport
                => new InfrastructureException($"{where}. Kafka was unreachable within message.timeout.ms; check the brokers and the network. The record may or may not be stored; the idempotent producer makes a retry safe.", inner),
            _ when error.IsFatal
                => new InfrastructureException($"{where}. The producer hit a fatal error and must be recreated.", inner),
            _ => new InfrastructureException($"{where}.", inner),
        };
    }
}
