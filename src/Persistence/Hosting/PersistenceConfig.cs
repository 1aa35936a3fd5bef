using System.Globalization;
using System.Text.Json;
using Akka.Configuration;
using Akka.Hosting;
using Coordinator.Persistence.Journal;
using Coordinator.Persistence.Query;

namespace Coordinator.Persistence.Hosting;

/// <summary>Where the journal lives: the database and, on PostgreSQL, the schema.</summary>
/// <param name="Database"><see cref="JournalDatabase.PostgreSql"/> or <see cref="JournalDatabase.Sqlite"/>.</param>
/// <param name="ConnectionString">The Npgsql connection string, or the SQLite file's path.</param>
/// <param name="Schema">The PostgreSQL schema holding the tables.</param>
public sealed record JournalLocation(JournalDatabase Database, string ConnectionString, string Schema = "coordinator");

/// <summary>The databases the journal runs on.</summary>
public enum JournalDatabase
{
    /// <summary>PostgreSQL (production).</summary>
    PostgreSql,

    /// <summary>A SQLite file (the embedded default).</summary>
    Sqlite,
}

/// <summary>Which Akka.Persistence plugin writes the journal.</summary>
public enum JournalImplementation
{
    /// <summary>Ours: batched across actors, gapless ordering, metadata columns.</summary>
    Coordinator,

    /// <summary>The stock Akka.Persistence.Sql (linq2db), on the same database.</summary>
    AkkaSql,
}

/// <summary>
/// The HOCON that selects and places the journal, snapshot store and read journal. Only Akka's
/// own kind of setting is written here; where they live comes from <c>Coordinator:Journal</c>.
/// </summary>
public static class PersistenceConfig
{
    /// <summary>Our plugins at <paramref name="location"/>, as the default journal and snapshot store.</summary>
    public static Config Coordinator(JournalLocation location, int maxBatchEvents = 2_000)
    {
        ArgumentNullException.ThrowIfNull(location);
        var place = location.Database == JournalDatabase.Sqlite
            ? $"provider = sqlite\nsqlite-path = {Quote(location.ConnectionString)}"
            : $"provider = postgresql\nconnection-string = {Quote(location.ConnectionString)}\nschema = {Quote(location.Schema)}";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "{{JournalSettings.JournalPluginId}}"
                coordinator {
                  {{place}}
                  max-batch-events = {{maxBatchEvents.ToString(CultureInfo.InvariantCulture)}}
                }
              }
              snapshot-store {
                plugin = "{{JournalSettings.SnapshotPluginId}}"
                coordinator {
                  {{place}}
                }
              }
            }
            """).WithFallback(CoordinatorPersistence.DefaultConfig);
    }

    /// <summary>
    /// Akka.Persistence.Sql at <paramref name="location"/>, as the default journal and snapshot
    /// store, with its read journal at <c>akka.persistence.query.journal.sql</c>. Configured with
    /// HOCON because its Hosting package lags at 1.5.70.
    /// </summary>
    /// <param name="location">The database.</param>
    /// <param name="batchSize">Its <c>batch-size</c> (stock default 100).</param>
    /// <param name="parallelism">Its <c>parallelism</c> (stock default 3).</param>
    public static Config AkkaSql(JournalLocation location, int? batchSize = null, int? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        // On SQLite its "sqlite" table mapping (event_journal, snapshot) keeps it clear of our
        // tables in the same file; on PostgreSQL the schema does.
        var (provider, connection, schema, mapping) = location.Database == JournalDatabase.Sqlite
            ? ("SQLite.MS", $"Data Source={location.ConnectionString}", "null", "sqlite")
            : ("PostgreSQL.15", location.ConnectionString, Quote(location.Schema), "default");
        var tuning = (batchSize is { } b ? $"batch-size = {b.ToString(CultureInfo.InvariantCulture)}\n" : string.Empty)
            + (parallelism is { } p ? $"parallelism = {p.ToString(CultureInfo.InvariantCulture)}\n" : string.Empty);
        // Where it lives, the same for its journal, snapshot store and read journal.
        var place = $$"""
            connection-string = {{Quote(connection)}}
            provider-name = "{{provider}}"
            table-mapping = {{mapping}}
            {{mapping}}.schema-name = {{schema}}
            """;
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  {{place}}
                  auto-initialize = on
                  {{tuning}}
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  {{place}}
                  auto-initialize = on
                }
              }
              query.journal.sql {
                {{place}}
                write-plugin = "akka.persistence.journal.sql"
                refresh-interval = 100ms
              }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>The read journal's identifier for <paramref name="implementation"/>.</summary>
    public static string ReadJournalId(JournalImplementation implementation)
        => implementation == JournalImplementation.Coordinator ? CoordinatorReadJournal.Identifier : "akka.persistence.query.journal.sql";

    /// <summary>Adds the journal of <paramref name="implementation"/> at <paramref name="location"/> to an Akka.Hosting set-up.</summary>
    public static AkkaConfigurationBuilder WithCoordinatorPersistence(this AkkaConfigurationBuilder builder, JournalLocation location, JournalImplementation implementation = JournalImplementation.Coordinator, int maxBatchEvents = 2_000)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHocon(
            implementation == JournalImplementation.Coordinator ? Coordinator(location, maxBatchEvents) : AkkaSql(location),
            HoconAddMode.Prepend);
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value, QuoteContext.Default.String);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class QuoteContext : System.Text.Json.Serialization.JsonSerializerContext;
