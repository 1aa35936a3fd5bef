using Coordinator.Kafka.Configuration;
using Coordinator.Kafka.IngressNode;
using Coordinator.Kafka.Tests.Ingress;
using Coordinator.Persistence.Hosting;

namespace Coordinator.Kafka.Tests.Sharding;

/// <summary>Where a cluster ledger node journals: the isolated <see cref="Stores"/> of a test (read back through its stores), as our Akka plugin's location.</summary>
internal static class ClusterStores
{
    public static JournalLocation Location(Stores stores) => stores.Kind switch
    {
        "postgres" => new JournalLocation(JournalDatabase.PostgreSql, TestPostgres.ConnectionString, stores.Schema!),
        "sqlite" => new JournalLocation(JournalDatabase.Sqlite, stores.SqlitePath!),
        _ => throw new ArgumentOutOfRangeException(nameof(stores), stores.Kind, "cluster nodes journal to postgres or sqlite"),
    };

    public static ClusterNodeOptions Node(Stores stores, string topic, int partitions, global::Akka.Actor.Address? seed = null)
        => new(topic, partitions, Location(stores), seed);

    public static KafkaOptions Kafka(Coordinator.Kafka.Embedded.EmbeddedKafka kafka, string group, string topic) => Ledger.ConsumerOptions(kafka.BootstrapServers, group, topic);
}

/// <summary>A journal decorator created when the node's journal plugin first opens its store (see <see cref="ClusterNodeOptions.WrapJournal"/>).</summary>
/// <typeparam name="T">The decorator.</typeparam>
internal sealed class WrappedJournal<T>(Func<IJournalStore, T> create)
    where T : class, IJournalStore
{
    private T? _journal;

    /// <summary>The decorator, once the plugin has opened its store.</summary>
    public T Journal => Volatile.Read(ref _journal) ?? throw new InvalidOperationException("The journal plugin has not opened its store yet.");

    /// <summary>Whether the plugin has opened its store.</summary>
    public bool Created => Volatile.Read(ref _journal) is not null;

    /// <summary>For <see cref="ClusterNodeOptions.WrapJournal"/>.</summary>
    public IJournalStore Wrap(IJournalStore inner)
    {
        var journal = create(inner);
        Volatile.Write(ref _journal, journal);
        return journal;
    }
}
