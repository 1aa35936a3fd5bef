using System.Globalization;
using System.Text;
using Coordinator.Actors.Persistence;

namespace Coordinator.Persistence.Sql.Sqlite;

/// <summary>Snapshots in the SQLite file.</summary>
public sealed class SqliteSnapshotStore(SqliteStorage storage) : ISnapshotStore
{
    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => storage.MigrateAsync(cancellationToken);

    /// <inheritdoc />
    public async Task SaveAsync(StoredSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO snapshots (persistence_id, sequence_nr, created_at, snapshot_type, payload) VALUES ($pid, $seq, $at, $type, $payload)";
        command.Parameters.AddWithValue("$pid", snapshot.PersistenceId);
        command.Parameters.AddWithValue("$seq", snapshot.SequenceNr);
        command.Parameters.AddWithValue("$at", snapshot.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$type", snapshot.State.TypeName);
        command.Parameters.AddWithValue("$payload", Encoding.UTF8.GetString(snapshot.State.Payload));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredSnapshot?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence_nr, created_at, snapshot_type, payload FROM snapshots WHERE persistence_id = $pid AND sequence_nr <= $max ORDER BY sequence_nr DESC LIMIT 1";
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$max", maxSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new StoredSnapshot(
            persistenceId,
            reader.GetInt64(0),
            DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            new SerializedEvent(reader.GetString(2), Encoding.UTF8.GetBytes(reader.GetString(3))));
    }

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
