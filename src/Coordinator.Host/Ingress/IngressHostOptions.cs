using Microsoft.Extensions.Options;

namespace Coordinator.Host.Ingress;

/// <summary>
/// What the host consumes. Section <c>Coordinator:Ingress</c>. The topics and event types come
/// from the workflow definitions' triggers (<see cref="WorkflowsPath"/>); the client settings
/// from <c>Coordinator:Kafka</c>, pacing from <c>Coordinator:Kafka:Ingress</c>, entity memory
/// from <c>Coordinator:Kafka:Sharding</c>.
/// </summary>
public sealed class IngressHostOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator:Ingress";

    /// <summary>Whether the host consumes Kafka at all. <value>Default: true.</value></summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Run an in-process Kafka-protocol broker (librdkafka's mock cluster) and create the
    /// workflows' topics on it, when <c>Coordinator:Kafka:BootstrapServers</c> is empty: the
    /// embedded default for trying the coordinator. Records on it live only as long as the
    /// process. <value>Default: true.</value>
    /// </summary>
    public bool EmbeddedBroker { get; set; } = true;

    /// <summary>Partitions of each topic created on the embedded broker. <value>Default: 8.</value></summary>
    public int EmbeddedPartitions { get; set; } = 8;

    /// <summary>The folder of workflow definitions whose triggers name the topics and event types. <value>Default: <c>workflows</c>.</value></summary>
    public string WorkflowsPath { get; set; } = "workflows";
}

internal sealed class IngressHostOptionsValidator : IValidateOptions<IngressHostOptions>
{
    public ValidateOptionsResult Validate(string? name, IngressHostOptions options)
    {
        var errors = new List<string>();
        if (options.EmbeddedPartitions is < 1 or > 1_000)
        {
            errors.Add($"{IngressHostOptions.Section}:EmbeddedPartitions is {options.EmbeddedPartitions}; set between 1 and 1000 (default 8).");
        }

        if (options.Enabled && string.IsNullOrWhiteSpace(options.WorkflowsPath))
        {
            errors.Add($"{IngressHostOptions.Section}:WorkflowsPath is empty; set the folder of workflow definitions (default 'workflows'), or set {IngressHostOptions.Section}:Enabled to false.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
