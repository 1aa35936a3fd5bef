using System.Text;
using Coordinator.Persistence.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Coordinator.Persistence.Sql.Postgres;

/// <summary>Snapshots on PostgreSQL; the latest per entity is what recovery starts from.</summary>
public sealed class PostgresSnapshots : ISnapshotStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;

    /// <summary>Creates the store on <paramref name="dataSource"/>.</summary>
    public PostgresSnapshots(NpgsqlDataSource dataSource, PostgresOptions? options = null)
    {
        options ??= new PostgresOptions();
        options.Validate();
        _dataSource = dataSource;
        _schema = options.Schema;
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => PostgresSchema.MigrateAsync(_dataSource, _schema, cancellationToken);

    /// <inheritdoc />
    public async Task SaveAsync(StoredSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_schema}.snapshots (persistence_id, sequence_nr, created_at, snapshot_type, payload, serializer_id, payload_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET created_at = excluded.created_at, snapshot_type = excluded.snapshot_type, payload = excluded.payload, serializer_id = excluded.serializer_id, payload_bytes = excluded.payload_bytes
            """);
        command.Parameters.AddWithValue(snapshot.PersistenceId);
        command.Parameters.AddWithValue(snapshot.SequenceNr);
        command.Parameters.AddWithValue(snapshot.Timestamp.UtcDateTime);
        command.Parameters.AddWithValue(snapshot.State.TypeName);
        command.Parameters.Add(new NpgsqlParameter { Value = snapshot.State.IsJson ? Encoding.UTF8.GetString(snapshot.State.Payload) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.AddWithValue(snapshot.State.SerializerId);
        command.Parameters.Add(new NpgsqlParameter { Value = snapshot.State.IsJson ? DBNull.Value : snapshot.State.Payload, NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT persistence_id, sequence_nr, created_at, snapshot_type, payload::text, serializer_id, payload_bytes FROM {_schema}.snapshots WHERE persistence_id = $1 AND sequence_nr <= $2 ORDER BY sequence_nr DESC LIMIT 1");
        command.Parameters.AddWithValue(persistenceId);
        command.Parameters.AddWithValue(maxSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return Read(reader);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, StoredSnapshot>> LoadLatestAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        await using var command = _dataSource.CreateCommand(
            $"SELECT DISTINCT ON (persistence_id) persistence_id, sequence_nr, created_at, snapshot_type, payload::text, serializer_id, payload_bytes FROM {_schema}.snapshots WHERE persistence_id = ANY($1) ORDER BY persistence_id, sequence_nr DESC");
        command.Parameters.AddWithValue(persistenceIds.ToArray());
        var latest = new Dictionary<string, StoredSnapshot>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var snapshot = Read(reader);
            latest[snapshot.PersistenceId] = snapshot;
        }

        return latest;
    }

    /// <inheritdoc />
    public async Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"DELETE FROM {_schema}.snapshots WHERE persistence_id = $1 AND sequence_nr <= $2");
        command.Parameters.AddWithValue(persistenceId);
        command.Parameters.AddWithValue(maxSequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT persistence_id, sequence_nr, created_at, snapshot_type, payload::text, serializer_id, payload_bytes FROM {_schema}.snapshots WHERE {RangeFilter} ORDER BY sequence_nr DESC LIMIT 1");
        AddRange(command, persistenceId, range);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"DELETE FROM {_schema}.snapshots WHERE {RangeFilter}");
        AddRange(command, persistenceId, range);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string RangeFilter = "persistence_id = $1 AND sequence_nr BETWEEN $2 AND $3 AND created_at BETWEEN $4 AND $5";

    private static void AddRange(NpgsqlCommand command, string persistenceId, SnapshotRange range)
    {
        command.Parameters.AddWithValue(persistenceId);
        command.Parameters.AddWithValue(range.MinSequenceNr);
        command.Parameters.AddWithValue(range.MaxSequenceNr);
        command.Parameters.AddWithValue(range.MinTimestamp.UtcDateTime);
        command.Parameters.AddWithValue(range.MaxTimestamp.UtcDateTime);
    }

    private static StoredSnapshot Read(NpgsqlDataReader reader)
        => new(reader.GetString(0), reader.GetInt64(1), new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero), PostgresJournalStore.ReadPayload(reader, 3, 4, 5, 6));
}
