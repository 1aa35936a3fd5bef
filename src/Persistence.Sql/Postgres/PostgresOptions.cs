namespace Coordinator.Persistence.Sql.Postgres;

/// <summary>Where the PostgreSQL journal and snapshot store live.</summary>
public sealed class PostgresOptions
{
    /// <summary>The database schema holding the tables (created if missing). <value>Default: <c>coordinator</c>.</value></summary>
    public string Schema { get; init; } = "coordinator";

    /// <summary>Checks the schema name (it is spliced into SQL, so only identifiers are allowed).</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Schema) || Schema.Length > 63 || !char.IsAsciiLetterLower(Schema[0]) || !Schema.All(static c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            throw new ArgumentException($"PostgresOptions.Schema '{Schema}' is not a plain lower-case identifier; use letters, digits and '_', starting with a letter (e.g. coordinator).", nameof(Schema));
        }
    }
}
