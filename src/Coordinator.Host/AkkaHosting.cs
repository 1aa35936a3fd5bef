using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Coordinator.Actors.Cases;
using Coordinator.Actors.Steps;
using Coordinator.Connectors;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>The Akka.NET side of the host, as one <c>AddAkka</c> chain that reads like the deployment.</summary>
internal static class AkkaHosting
{
    /// <summary>
    /// Split-brain resolver: keep-oldest with down-if-alone. It is correct for the 2- and
    /// 3-node clusters we run: when a node dies or is cut off, the side holding the oldest member
    /// stays up, unless the oldest is alone, in which case it downs itself and the others stay.
    /// keep-majority cannot decide a 1–1 split of a 2-node cluster (it keeps the side with the
    /// lowest address, which can be the dead node's), and static-quorum of 1 keeps both sides.
    /// </summary>
    public static KeepOldestOption SplitBrainResolver { get; } = new() { DownIfAlone = true };

    public static IServiceCollection AddCoordinatorAkka(this IServiceCollection services, IConfiguration configuration)
    {
        // The system's name is part of every address, so it is fixed when the services are built.
        var systemName = configuration.GetSection(CoordinatorOptions.Section)[nameof(CoordinatorOptions.SystemName)] ?? new CoordinatorOptions().SystemName;
        services.AddAkka(systemName, static (builder, provider) =>
        {
            var node = provider.GetRequiredService<IOptions<NodeOptions>>().Value;
            var journal = provider.GetRequiredService<IOptions<JournalOptions>>().Value;
            builder
                .ConfigureLoggers(static loggers => loggers.AddLoggerFactory())
                .WithRemoting(new RemoteOptions { HostName = node.Hostname, PublicHostName = node.PublicHostname, Port = node.Port })
                .WithClustering(new ClusterOptions
                {
                    Roles = [.. node.Roles],
                    SeedNodes = [.. node.SeedNodes],
                    SplitBrainResolver = SplitBrainResolver,
                })
                .WithCoordinatorSerialization(new EventTypeRegistry().AddCases().AddConnectors().AddStepMessages())
                .AddHocon(RecordSharding.Hocon, HoconAddMode.Prepend)
                // The Kafka ingress stops in service-unbind: in-flight records finish (at most the
                // ingress's RevokeTimeout), watermarks are committed, shards handed off.
                .AddHocon("akka.coordinated-shutdown.phases.service-unbind.timeout = 40s", HoconAddMode.Prepend)
                .WithJournal(journal)
                .AddStartup((system, _) =>
                {
                    system.StartScheduler();
                    if (node.SeedNodes.Count == 0)
                    {
                        // The embedded default: a one-node cluster that joins itself.
                        var cluster = Cluster.Get(system);
                        cluster.Join(cluster.SelfAddress);
                    }
                });
        });
        return services;
    }

    private static AkkaConfigurationBuilder WithJournal(this AkkaConfigurationBuilder builder, JournalOptions journal)
    {
        switch (journal.Provider)
        {
            case "memory":
                return builder.AddHocon("""
                    akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                    akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                    """, HoconAddMode.Prepend);
            case "akka-sql":
                return builder.WithCoordinatorPersistence(journal.Location, JournalImplementation.AkkaSql);
            default:
                return builder.WithCoordinatorPersistence(journal.Location, JournalImplementation.Coordinator, journal.MaxBatchEvents);
        }
    }
}
