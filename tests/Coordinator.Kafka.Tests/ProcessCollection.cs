namespace Coordinator.Kafka.Tests;

/// <summary>
/// Tests that run cluster members as separate processes (SIGKILL, SIGTERM): they run alone, so
/// failure detectors and session timeouts are not starved by other tests on a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "node processes";
}
