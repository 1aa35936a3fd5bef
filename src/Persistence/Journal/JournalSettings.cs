using Akka.Configuration;

namespace Coordinator.Persistence.Journal;

/// <summary>Where a Coordinator journal plugin keeps its tables, read from its HOCON block.</summary>
/// <param name="Provider"><c>postgresql</c> or <c>sqlite</c>.</param>
/// <param name="ConnectionString">Npgsql connection string (postgresql).</param>
/// <param name="SqlitePath">Database file (sqlite).</param>
/// <param name="Schema">PostgreSQL schema.</param>
/// <param name="MaxBatchEvents">Most events in one transaction.</param>
/// <param name="MaxPendingEvents">Most events accepted and not yet written; beyond it writes are rejected.</param>
/// <param name="AutoInitialize">Create or migrate the schema at start.</param>
/// <param name="MaxBatchReads">Most entities one coalesced recovery read (highest sequence number, latest snapshot, short replay) asks for.</param>
/// <param name="CoalesceRecoveryReads"><c>on</c>, <c>off</c>, or <c>auto</c>: on for PostgreSQL (a round trip per query), off for SQLite (in-process reads, measured faster in parallel).</param>
public sealed record JournalSettings(string Provider, string ConnectionString, string SqlitePath, string Schema, int MaxBatchEvents, int MaxPendingEvents, bool AutoInitialize, int MaxBatchReads = 256, string CoalesceRecoveryReads = "auto")
{
    /// <summary>Whether recovering entities' reads are coalesced (<see cref="CoalesceRecoveryReads"/> resolved).</summary>
    public bool CoalescesRecoveryReads => CoalesceRecoveryReads == "on" || (CoalesceRecoveryReads == "auto" && Provider == "postgresql");

    /// <summary>The HOCON path of our journal plugin.</summary>
    public const string JournalPluginId = "akka.persistence.journal.coordinator";

    /// <summary>The HOCON path of our snapshot-store plugin.</summary>
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.coordinator";

    /// <summary>Reads and checks a plugin block; errors name the setting and the fix.</summary>
    /// <exception cref="ConfigurationException">A setting is missing or invalid.</exception>
    public static JournalSettings From(Config config, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settings = new JournalSettings(
            config.GetString("provider", "sqlite"),
            config.GetString("connection-string", string.Empty),
            config.GetString("sqlite-path", string.Empty),
            config.GetString("schema", "coordinator"),
            config.GetInt("max-batch-events", 2_000),
            config.GetInt("max-pending-events", 200_000),
            config.GetBoolean("auto-initialize", true),
            config.GetInt("max-batch-reads", 256),
            config.GetString("coalesce-recovery-reads", "auto"));
        switch (settings.Provider)
        {
            case "postgresql" when string.IsNullOrWhiteSpace(settings.ConnectionString):
                throw new ConfigurationException($"{path}.connection-string is empty; set the Npgsql connection string (Coordinator:Journal:PostgresConnectionString).");
            case "sqlite" when string.IsNullOrWhiteSpace(settings.SqlitePath):
                throw new ConfigurationException($"{path}.sqlite-path is empty; set the database file (Coordinator:Journal:SqlitePath).");
            case "postgresql" or "sqlite":
                break;
            default:
                throw new ConfigurationException($"{path}.provider is '{settings.Provider}'; use postgresql or sqlite.");
        }

        if (settings.MaxBatchEvents < 1 || settings.MaxPendingEvents < settings.MaxBatchEvents)
        {
            throw new ConfigurationException($"{path}.max-batch-events ({settings.MaxBatchEvents}) must be 1 or more and at most max-pending-events ({settings.MaxPendingEvents}).");
        }

        if (settings.CoalesceRecoveryReads is not ("on" or "off" or "auto"))
        {
            throw new ConfigurationException($"{path}.coalesce-recovery-reads is '{settings.CoalesceRecoveryReads}'; use on, off or auto.");
        }

        if (settings.MaxBatchReads < 1)
        {
            throw new ConfigurationException($"{path}.max-batch-reads ({settings.MaxBatchReads}) must be 1 or more.");
        }

        return settings;
    }
}
