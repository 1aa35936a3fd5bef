namespace Coordinator.Kafka.Ingress;

/// <summary>How the ingress paces and commits. Section <c>Coordinator:Kafka:Ingress</c>.</summary>
public sealed class IngressSettings
{
    /// <summary>
    /// Most records of this node dispatched and not yet journaled. When reached the ingress
    /// stops reading and waits for completions: memory stays bounded and a slow journal slows
    /// consumption instead of filling queues. Completions count in any order, so one slow entity
    /// does not hold the rest. <value>Default: 16,000.</value>
    /// </summary>
    public int MaxInFlight { get; set; } = 16_000;

    /// <summary>
    /// Most records of one partition dispatched and not yet journaled, a hard cap: the partition
    /// is paused, and resumed when half have completed. librdkafka drops a paused partition's
    /// prefetched records and takes up to a second to fetch again, so this is the last resort
    /// against one partition taking the node's budget; <see cref="MaxInFlight"/> is the everyday
    /// limit. <value>Default: 4,000.</value>
    /// </summary>
    public int MaxInFlightPerPartition { get; set; } = 4_000;

    /// <summary>
    /// Most records of one partition read past its watermark (the oldest record not yet
    /// journaled). One slow or parked entity holds the watermark while others go on; this bounds
    /// how far, and so how much a crash would read again. Paused when reached, resumed at half.
    /// <value>Default: 50,000.</value>
    /// </summary>
    public int MaxUncommittedPerPartition { get; set; } = 50_000;

    /// <summary>How often each partition's watermark is committed. <value>Default: 1 s.</value></summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a revoked partition's in-flight records may take to finish before it is given up anyway. <value>Default: 30 s.</value></summary>
    public TimeSpan RevokeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a revoked partition's shard may take to stop its entities (the hand-off) before it is given up with a warning. <value>Default: 30 s.</value></summary>
    public TimeSpan HandOffTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a record may take to reach its entity and be journaled before its partition is rewound (the ask's timeout). <value>Default: 30 s.</value></summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Topic poison records are also published to (key and value unchanged, reason in headers); null for none.</summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>Every problem with the values, each naming the setting and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxInFlight is < 1 or > 10_000_000)
        {
            errors.Add($"Coordinator:Kafka:Ingress:MaxInFlight is {MaxInFlight}; set between 1 and 10,000,000 (default 16,000).");
        }

        if (MaxInFlightPerPartition is < 1 or > 1_000_000)
        {
            errors.Add($"Coordinator:Kafka:Ingress:MaxInFlightPerPartition is {MaxInFlightPerPartition}; set between 1 and 1,000,000 (default 4,000).");
        }

        if (MaxUncommittedPerPartition < MaxInFlightPerPartition || MaxUncommittedPerPartition > 10_000_000)
        {
            errors.Add($"Coordinator:Kafka:Ingress:MaxUncommittedPerPartition is {MaxUncommittedPerPartition}; set between MaxInFlightPerPartition ({MaxInFlightPerPartition}) and 10,000,000 (default 50,000).");
        }

        if (CommitInterval < TimeSpan.FromMilliseconds(10) || CommitInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"Coordinator:Kafka:Ingress:CommitInterval is {CommitInterval}; set between 00:00:00.010 and 01:00:00 (default 00:00:01).");
        }

        if (RevokeTimeout < TimeSpan.Zero || RevokeTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Coordinator:Kafka:Ingress:RevokeTimeout is {RevokeTimeout}; set between 00:00:00 and 00:10:00 (default 00:00:30), below the consumer's max.poll.interval.ms.");
        }

        if (HandOffTimeout < TimeSpan.FromMilliseconds(1) || HandOffTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Coordinator:Kafka:Ingress:HandOffTimeout is {HandOffTimeout}; set between 00:00:00.001 and 00:10:00 (default 00:00:30), below the consumer's max.poll.interval.ms.");
        }

        if (DeliveryTimeout < TimeSpan.FromMilliseconds(100) || DeliveryTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Coordinator:Kafka:Ingress:DeliveryTimeout is {DeliveryTimeout}; set between 00:00:00.100 and 00:10:00 (default 00:00:30).");
        }

        if (DeadLetterTopic is { } topic && string.IsNullOrWhiteSpace(topic))
        {
            errors.Add("Coordinator:Kafka:Ingress:DeadLetterTopic is blank; set a topic name or remove the setting.");
        }

        return errors;
    }
}
