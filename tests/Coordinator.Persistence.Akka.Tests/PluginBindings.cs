using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Serialization;
using Coordinator.TestKit;
using Npgsql;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>One place a contract suite runs against: a journal plugin on a fresh, isolated database.</summary>
public abstract class PluginBinding : IDisposable
{
    /// <summary>Whether the plugin has our read journal's queries.</summary>
    public virtual string? ReadJournalId => null;

    /// <summary>Whether the binding runs our plugin (metadata columns, gapless ordering).</summary>
    public virtual bool IsOurs => false;

    public abstract Config Config { get; }

    /// <summary>The PostgreSQL journal table and its ordering sequence, for tests that reach under the plugin.</summary>
    public virtual (string Schema, string Name, string OrderingSequence)? JournalTable => null;

    /// <summary>Where this plugin was measured to behave differently from ours; tests assert the difference instead of skipping.</summary>
    public virtual Difference Differences => Difference.None;

    /// <summary>The whole set-up: the binding's HOCON, strict serialization checks, our serializer.</summary>
    public ActorSystemSetup Setup(string? extraHocon = null) => BootstrapSetup.Create()
        .WithConfig(ConfigurationFactory.ParseString(extraHocon ?? string.Empty).WithFallback(Config).WithFallback(TestHocon))
        .And(CoordinatorSerialization.Setup(TestRegistry.Create()));

    /// <summary>
    /// Every message is serialized as if it crossed nodes (<c>serialize-messages</c>), so one
    /// without a working binding fails here rather than in production.
    /// </summary>
    public static Config TestHocon { get; } = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        # CI machines are shared and noisy: wait longer before calling a message missing.
        akka.test.single-expect-default = 10s
        akka.actor.serialize-messages = on
        akka.persistence.journal.coordinator.circuit-breaker.call-timeout = 30s
        akka.persistence.journal.sql.circuit-breaker.call-timeout = 30s
        """);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

public sealed class OurPostgresBinding : PluginBinding
{
    private static int _schemas;

    public string Schema { get; } = $"ak{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}";

    public override string? ReadJournalId => PersistenceConfig.ReadJournalId(JournalImplementation.Coordinator);

    public override bool IsOurs => true;

    public override (string Schema, string Name, string OrderingSequence)? JournalTable => (Schema, "journal", "journal_ordering_seq");

    public override Config Config => PersistenceConfig.Coordinator(new JournalLocation(JournalDatabase.PostgreSql, TestPostgres.ConnectionString, Schema));

    public override void Dispose()
    {
        TestDatabase.DropSchema(Schema);
        base.Dispose();
    }
}

public sealed class OurSqliteBinding : PluginBinding
{
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-akka-sqlite-").FullName;

    public string Path => System.IO.Path.Combine(_directory, "journal.db");

    public override string? ReadJournalId => PersistenceConfig.ReadJournalId(JournalImplementation.Coordinator);

    public override bool IsOurs => true;

    public override Config Config => PersistenceConfig.Coordinator(new JournalLocation(JournalDatabase.Sqlite, Path));

    public override void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        base.Dispose();
    }
}

/// <summary>The stock Akka.Persistence.Sql (linq2db) on the same PostgreSQL, in a schema of its own.</summary>
public sealed class AkkaSqlPostgresBinding : PluginBinding
{
    private static int _schemas;

    public AkkaSqlPostgresBinding()
    {
        TestDatabase.Execute($"CREATE SCHEMA IF NOT EXISTS {Schema}");
    }

    public string Schema { get; } = $"aks{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}";

    public override string? ReadJournalId => PersistenceConfig.ReadJournalId(JournalImplementation.AkkaSql);

    // Its internal messages (WriteFinished) cannot be serialized, so serialize-messages stays off for it.
    public override Config Config => ConfigurationFactory.ParseString("akka.actor.serialize-messages = off")
        .WithFallback(PersistenceConfig.AkkaSql(new JournalLocation(JournalDatabase.PostgreSql, TestPostgres.ConnectionString, Schema)));

    public override (string Schema, string Name, string OrderingSequence)? JournalTable => (Schema, "journal", "journal_ordering_seq");

    public override Difference Differences => Difference.WriterGuidNotKept | Difference.InternalMessagesNotSerializable | Difference.ConflictFailsSharedBatch;

    public override void Dispose()
    {
        TestDatabase.DropSchema(Schema);
        base.Dispose();
    }
}

/// <summary>Akka's own in-memory journal and snapshot store: the reference the suite is checked against.</summary>
public sealed class AkkaMemoryBinding : PluginBinding
{
    public override Config Config => ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """);

    public override Difference Differences => Difference.DoesNotSerialize;
}

/// <summary>Behaviours measured to differ from our plugin's.</summary>
[Flags]
public enum Difference
{
    None = 0,

    /// <summary>Replayed events do not carry the writer's guid.</summary>
    WriterGuidNotKept = 1,

    /// <summary>Payloads are kept as objects, so nothing is ever rejected as unserializable.</summary>
    DoesNotSerialize = 2,

    /// <summary>The plugin's own actor messages fail <c>serialize-messages = on</c>.</summary>
    InternalMessagesNotSerializable = 4,

    /// <summary>A sequence-number conflict fails other actors' writes that shared its batch (measured: Akka.Persistence.Sql).</summary>
    ConflictFailsSharedBatch = 8,
}

public static class TestDatabase
{
    private static readonly Lazy<NpgsqlDataSource> Source = new(() => NpgsqlDataSource.Create(TestPostgres.ConnectionString));

    public static NpgsqlDataSource DataSource => Source.Value;

    public static void Execute(string sql)
    {
        using var command = DataSource.CreateCommand(sql);
        command.ExecuteNonQuery();
    }

    public static T Scalar<T>(string sql)
    {
        using var command = DataSource.CreateCommand(sql);
        return (T)command.ExecuteScalar()!;
    }

    public static void DropSchema(string schema)
    {
        try
        {
            Execute($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
        catch (NpgsqlException)
        {
            // Best effort: a schema left behind is dropped with the test cluster.
        }
    }
}
