using System.Globalization;
using System.Text;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Sql.Sqlite;

/// <summary>Snapshots in the SQLite file.</summary>
public sealed class SqliteSnapshots(SqliteStorage storage) : ISnapshotStore
{
    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => storage.MigrateAsync(cancellationToken);

    /// <inheritdoc />
    public async Task SaveAsync(StoredSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO snapshots (persistence_id, sequence_nr, created_at, snapshot_type, payload, serializer_id) VALUES ($pid, $seq, $at, $type, $payload, $serializer)";
        command.Parameters.AddWithValue("$pid", snapshot.PersistenceId);
        command.Parameters.AddWithValue("$seq", snapshot.SequenceNr);
        command.Parameters.AddWithValue("$at", snapshot.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$type", snapshot.State.TypeName);
        command.Parameters.AddWithValue("$payload", snapshot.State.IsJson ? Encoding.UTF8.GetString(snapshot.State.Payload) : snapshot.State.Payload);
        command.Parameters.AddWithValue("$serializer", snapshot.State.SerializerId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_nr, created_at, snapshot_type, payload, serializer_id FROM snapshots WHERE persistence_id = $pid AND sequence_nr <= $max ORDER BY sequence_nr DESC LIMIT 1";
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$max", maxSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return Read(persistenceId, reader);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, StoredSnapshot>> LoadLatestAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        var latest = new Dictionary<string, StoredSnapshot>(StringComparer.Ordinal);
        if (persistenceIds.Count == 0)
        {
            return latest;
        }

        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();

        // SQLite takes the other columns of a max() aggregate from the row holding the maximum.
        command.CommandText = $"SELECT max(sequence_nr), created_at, snapshot_type, payload, serializer_id, persistence_id FROM snapshots WHERE persistence_id IN ({SqliteStorage.AddIds(command, persistenceIds)}) GROUP BY persistence_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(5);
            latest[id] = Read(id, reader);
        }

        return latest;
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT sequence_nr, created_at, snapshot_type, payload, serializer_id FROM snapshots WHERE {RangeFilter} ORDER BY sequence_nr DESC LIMIT 1";
        AddRange(command, persistenceId, range);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(persistenceId, reader) : null;
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM snapshots WHERE {RangeFilter}";
        AddRange(command, persistenceId, range);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Times are stored as ISO 8601 UTC text of one width, so text order is time order.
    private const string RangeFilter = "persistence_id = $pid AND sequence_nr BETWEEN $minSeq AND $maxSeq AND created_at BETWEEN $minAt AND $maxAt";

    private static void AddRange(Microsoft.Data.Sqlite.SqliteCommand command, string persistenceId, SnapshotRange range)
    {
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$minSeq", range.MinSequenceNr);
        command.Parameters.AddWithValue("$maxSeq", range.MaxSequenceNr);
        command.Parameters.AddWithValue("$minAt", range.MinTimestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$maxAt", range.MaxTimestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
    }

    private static StoredSnapshot Read(string persistenceId, Microsoft.Data.Sqlite.SqliteDataReader reader) => new(
        persistenceId,
        reader.GetInt64(0),
        DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        new SerializedEvent(reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetInt32(4)));

    /// <inheritdoc />
    public async Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM snapshots WHERE persistence_id = $pid AND sequence_nr <= $max";
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$max", maxSequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
