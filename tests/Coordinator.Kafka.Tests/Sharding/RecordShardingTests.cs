using Akka.Configuration;
using Coordinator.Kafka.Sharding;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>Record regions' allocation strategy.</summary>
public sealed class RecordShardingTests
{
    [Fact]
    public async Task AllocationStrategy_StartsAgainOnTheSameNode_AsTheCoordinatorDoesAfterItsSingletonRestarts()
    {
        var config = ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            """);
        using var system = global::Akka.Actor.ActorSystem.Create("strategy", config);
        var strategy = new RestartableExternalAllocation(system, "ledger");
        strategy.Start();
        strategy.Start(); // Akka's own strategy throws InvalidActorNameException here
        await system.Terminate();
    }
}
