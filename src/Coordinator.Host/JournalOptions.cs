using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>Where events and snapshots are kept: section <c>Coordinator:Journal</c>.</summary>
public sealed class JournalOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator:Journal";

    /// <summary>
    /// <c>sqlite</c> (our journal in a file, the embedded default), <c>postgres</c> (our journal
    /// on PostgreSQL, production), <c>akka-sql</c> (the stock Akka.Persistence.Sql, on PostgreSQL
    /// when <see cref="PostgresConnectionString"/> is set, else in <see cref="SqlitePath"/>), or
    /// <c>memory</c> (tests and demos; lost on exit). <value>Default: <c>sqlite</c>.</value>
    /// </summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>The SQLite file. <value>Default: <c>data/coordinator.db</c>.</value></summary>
    public string SqlitePath { get; set; } = "data/coordinator.db";

    /// <summary>Npgsql connection string for <c>postgres</c> (environment: <c>Coordinator__Journal__PostgresConnectionString</c>).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Schema holding the tables on PostgreSQL. <value>Default: <c>coordinator</c>.</value></summary>
    public string PostgresSchema { get; set; } = "coordinator";

    /// <summary>
    /// On PostgreSQL, the longest a write waits for the journal's ordering lock, which every writer
    /// on every node takes; past it the write fails as transient and is retried, so one stuck
    /// transaction cannot stall all writes. <c>00:00:00</c> waits without bound. <value>Default: 5 s.</value>
    /// </summary>
    public TimeSpan PostgresLockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On PostgreSQL, the longest a write's transaction may sit idle before the server ends its
    /// session (and so releases the ordering lock). <c>00:00:00</c> never. <value>Default: 15 s.</value>
    /// </summary>
    public TimeSpan PostgresIdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most events in one store write. <value>Default: 1,000.</value></summary>
    public int MaxBatchEvents { get; set; } = 1_000;

    /// <summary>Where the Akka.Persistence plugins keep their tables.</summary>
    internal Coordinator.Persistence.Hosting.JournalLocation Location
        => Provider == "postgres" || (Provider == "akka-sql" && !string.IsNullOrWhiteSpace(PostgresConnectionString))
            ? new(Coordinator.Persistence.Hosting.JournalDatabase.PostgreSql, PostgresConnectionString!, PostgresSchema)
            : new(Coordinator.Persistence.Hosting.JournalDatabase.Sqlite, SqlitePath);
}

/// <summary>Checks <see cref="JournalOptions"/> at start.</summary>
internal sealed class JournalOptionsValidator : IValidateOptions<JournalOptions>
{
    public ValidateOptionsResult Validate(string? name, JournalOptions options)
    {
        var errors = new List<string>();
        switch (options.Provider)
        {
            case "sqlite":
                if (string.IsNullOrWhiteSpace(options.SqlitePath))
                {
                    errors.Add("Coordinator:Journal:SqlitePath is empty; set a file path such as data/coordinator.db.");
                }

                break;
            case "postgres":
                if (string.IsNullOrWhiteSpace(options.PostgresConnectionString))
                {
                    errors.Add("Coordinator:Journal:Provider is postgres but Coordinator:Journal:PostgresConnectionString is empty; set it (environment: Coordinator__Journal__PostgresConnectionString), e.g. Host=db;Username=coordinator;Password=…;Database=coordinator.");
                }

                break;
            case "memory" or "akka-sql":
                break;
            default:
                errors.Add($"Coordinator:Journal:Provider is '{options.Provider}'; use sqlite, postgres, akka-sql or memory.");
                break;
        }

        if (options.PostgresLockTimeout < TimeSpan.Zero || options.PostgresLockTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"Coordinator:Journal:PostgresLockTimeout is {options.PostgresLockTimeout}; set between 00:00:00 (no bound) and 01:00:00 (00:00:05 is the default).");
        }

        if (options.PostgresIdleInTransactionTimeout < TimeSpan.Zero || options.PostgresIdleInTransactionTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"Coordinator:Journal:PostgresIdleInTransactionTimeout is {options.PostgresIdleInTransactionTimeout}; set between 00:00:00 (never) and 01:00:00 (00:00:15 is the default).");
        }

        if (options.MaxBatchEvents < 1)
        {
            errors.Add($"Coordinator:Journal:MaxBatchEvents is {options.MaxBatchEvents}; set 1 or more (1000 is the default).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
