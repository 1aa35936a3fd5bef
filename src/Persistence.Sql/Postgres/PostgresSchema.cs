using Npgsql;

namespace Coordinator.Persistence.Sql.Postgres;

/// <summary>
/// Applies the versioned scripts under <c>Postgres/Migrations</c> once each, in order, each in
/// its own transaction. A session advisory lock serialises nodes that start together, so
/// exactly one applies a script and the others find it applied.
/// </summary>
internal static class PostgresSchema
{
    private const int LockClass = 0x436F6F72; // "Coor"

    private static readonly IReadOnlyList<Migration> Migrations = Migration.Load("Postgres");

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock($1, hashtext($2))", connection))
        {
            lockCommand.Parameters.AddWithValue(LockClass);
            lockCommand.Parameters.AddWithValue(schema);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await ExecuteAsync(connection, $"""
                CREATE SCHEMA IF NOT EXISTS {schema};
                CREATE TABLE IF NOT EXISTS {schema}.schema_version (
                    version     int         PRIMARY KEY,
                    description text        NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now());
                """, cancellationToken).ConfigureAwait(false);

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand($"SELECT version FROM {schema}.schema_version", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            foreach (var migration in Migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, migration.Sql.Replace("{schema}", schema, StringComparison.Ordinal), cancellationToken, transaction).ConfigureAwait(false);
                await using (var record = new NpgsqlCommand($"INSERT INTO {schema}.schema_version (version, description) VALUES ($1, $2)", connection, transaction))
                {
                    record.Parameters.AddWithValue(migration.Version);
                    record.Parameters.AddWithValue(migration.Description);
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1, hashtext($2))", connection);
            unlock.Parameters.AddWithValue(LockClass);
            unlock.Parameters.AddWithValue(schema);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The latest applied version (for diagnostics and tests).</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT coalesce(max(version), 0) FROM {schema}.schema_version");
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public static int LatestVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
