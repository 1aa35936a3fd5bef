using Microsoft.Data.Sqlite;

namespace Coordinator.Persistence.Sql.Sqlite;

/// <summary>
/// One SQLite database file shared by the journal and the snapshot store: the embedded
/// default. WAL mode lets readers run while one writer writes; <c>synchronous=FULL</c> keeps
/// every acknowledged write on disk, even across a power cut.
/// </summary>
public sealed class SqliteStorage
{
    private static readonly IReadOnlyList<Migration> Migrations = Migration.Load("Sqlite");
    private readonly object _gate = new();
    private Task? _migration;

    /// <summary>Uses the database file at <paramref name="path"/> (created if missing).</summary>
    public SqliteStorage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        Path = path;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    internal string ConnectionString { get; }

    internal static int LatestVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    internal async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragmas = connection.CreateCommand();
        // Per-connection settings; WAL mode is a property of the file, set once in MigrateCoreAsync.
        pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Applies the versioned scripts once each; <c>BEGIN IMMEDIATE</c> serialises processes sharing the file.</summary>
    internal Task MigrateAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_migration is null || _migration.IsFaulted || _migration.IsCanceled)
            {
                _migration = MigrateCoreAsync(cancellationToken);
            }

            return _migration;
        }
    }

    private async Task MigrateCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL", cancellationToken).ConfigureAwait(false); // persists in the file
        await ExecuteAsync(connection, "BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)", cancellationToken).ConfigureAwait(false);
            var applied = new HashSet<long>();
            await using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT version FROM schema_version";
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied.Add(reader.GetInt64(0));
                }
            }

            foreach (var migration in Migrations.Where(m => !applied.Contains(m.Version)))
            {
                await ExecuteAsync(connection, migration.Sql.Replace("{schema}.", string.Empty, StringComparison.Ordinal), cancellationToken).ConfigureAwait(false);
                await using var record = connection.CreateCommand();
                record.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES ($v, $d, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
                record.Parameters.AddWithValue("$v", migration.Version);
                record.Parameters.AddWithValue("$d", migration.Description);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The latest applied version (for diagnostics and tests).</summary>
    internal async Task<long> CurrentVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_version";
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Binds <paramref name="ids"/> as <c>$id0, $id1, …</c> and returns that list for an <c>IN (…)</c>.</summary>
    internal static string AddIds(SqliteCommand command, IReadOnlyList<string> ids)
    {
        var names = new string[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            names[i] = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"$id{i}");
            command.Parameters.AddWithValue(names[i], ids[i]);
        }

        return string.Join(", ", names);
    }
}
