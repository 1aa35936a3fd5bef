namespace Coordinator.Persistence.Sql.Postgres;

/// <summary>Where the PostgreSQL journal and snapshot store live, and how long a journal write may wait.</summary>
public sealed class PostgresOptions
{
    /// <summary>The database schema holding the tables (created if missing). <value>Default: <c>coordinator</c>.</value></summary>
    public string Schema { get; init; } = "coordinator";

    /// <summary>
    /// Longest wait of a journal write for the journal's ordering lock (PostgreSQL
    /// <c>lock_timeout</c>, set for the write's transaction). Every writer on every node takes that
    /// lock, so a transaction stuck holding it would otherwise stall all writes; past the bound the
    /// write fails as a transient fault and is retried by its caller. <see cref="TimeSpan.Zero"/>
    /// waits without bound. <value>Default: 5 s.</value>
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest a journal write's transaction may sit idle between its statements (PostgreSQL
    /// <c>idle_in_transaction_session_timeout</c>, set for the transaction) before the server ends
    /// the session and so releases the ordering lock: a writer that stalls mid-write (a paused
    /// process, a lost client) cannot hold every other writer up. <see cref="TimeSpan.Zero"/> never.
    /// <value>Default: 15 s.</value>
    /// </summary>
    public TimeSpan IdleInTransactionTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Checks the values: the schema name (it is spliced into SQL, so only identifiers are allowed) and the timeouts.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names it and the fix.</exception>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Schema) || Schema.Length > 63 || !char.IsAsciiLetterLower(Schema[0]) || !Schema.All(static c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            throw new ArgumentException($"PostgresOptions.Schema '{Schema}' is not a plain lower-case identifier; use letters, digits and '_', starting with a letter (e.g. coordinator).", nameof(Schema));
        }

        if (LockTimeout < TimeSpan.Zero || LockTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"PostgresOptions.LockTimeout is {LockTimeout}; set between 00:00:00 (no bound) and 01:00:00 (default 00:00:05).", nameof(LockTimeout));
        }

        if (IdleInTransactionTimeout < TimeSpan.Zero || IdleInTransactionTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"PostgresOptions.IdleInTransactionTimeout is {IdleInTransactionTimeout}; set between 00:00:00 (never) and 01:00:00 (default 00:00:15).", nameof(IdleInTransactionTimeout));
        }
    }
}
