namespace Coordinator.Kafka.Ingress;

/// <summary>How the ingress paces and commits. Section <c>Coordinator:Kafka:Ingress</c>.</summary>
public sealed class IngressSettings
{
    /// <summary>
    /// Most records of one partition dispatched and not yet journaled. When reached the
    /// partition is paused, and resumed when half have completed: memory stays bounded and a
    /// slow journal slows consumption instead of filling queues. <value>Default: 1,000.</value>
    /// </summary>
    public int MaxInFlightPerPartition { get; set; } = 1_000;

    /// <summary>How often each partition's watermark is committed. <value>Default: 1 s.</value></summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a revoked partition's in-flight records may take to finish before it is given up anyway. <value>Default: 30 s.</value></summary>
    public TimeSpan RevokeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Topic poison records are also published to (key and value unchanged, reason in headers); null for none.</summary>
    public string? DeadLetterTopic { get; set; }

    /// <summary>Every problem with the values, each naming the setting and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxInFlightPerPartition is < 1 or > 1_000_000)
        {
            errors.Add($"Coordinator:Kafka:Ingress:MaxInFlightPerPartition is {MaxInFlightPerPartition}; set between 1 and 1,000,000 (default 1,000).");
        }

        if (CommitInterval < TimeSpan.FromMilliseconds(10) || CommitInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"Coordinator:Kafka:Ingress:CommitInterval is {CommitInterval}; set between 00:00:00.010 and 01:00:00 (default 00:00:01).");
        }

        if (RevokeTimeout < TimeSpan.Zero || RevokeTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Coordinator:Kafka:Ingress:RevokeTimeout is {RevokeTimeout}; set between 00:00:00 and 00:10:00 (default 00:00:30), below the consumer's max.poll.interval.ms.");
        }

        if (DeadLetterTopic is { } topic && string.IsNullOrWhiteSpace(topic))
        {
            errors.Add("Coordinator:Kafka:Ingress:DeadLetterTopic is blank; set a topic name or remove the setting.");
        }

        return errors;
    }
}
