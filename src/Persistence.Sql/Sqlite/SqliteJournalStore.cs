using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Coordinator.Persistence.Abstractions;
using Microsoft.Data.Sqlite;

namespace Coordinator.Persistence.Sql.Sqlite;

/// <summary>
/// The journal in a SQLite file (the embedded default). A write is one <c>BEGIN IMMEDIATE</c>
/// transaction; SQLite admits one writer at a time, so ordering values are assigned in commit
/// order and readers following them never skip.
/// </summary>
public sealed class SqliteJournalStore(SqliteStorage storage) : IJournalStore
{
    private const string Select = "SELECT ordering, persistence_id, sequence_nr, event_type, payload, tags, written_at, writer_id, correlation_id, causation_id, caused_by, serializer_id FROM journal";

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => storage.MigrateAsync(cancellationToken);

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await SqliteStorage.ExecuteAsync(connection, "BEGIN IMMEDIATE", cancellationToken).ConfigureAwait(false);
        try
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO journal (persistence_id, sequence_nr, event_type, payload, tags, written_at, writer_id, correlation_id, causation_id, caused_by, serializer_id)
                VALUES ($pid, $seq, $type, $payload, $tags, $at, $writer, $correlation, $causation, $causedBy, $serializer) RETURNING ordering
                """;
            var pid = insert.Parameters.Add("$pid", SqliteType.Text);
            var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var type = insert.Parameters.Add("$type", SqliteType.Text);
            var payload = insert.Parameters.Add("$payload", SqliteType.Text);
            var serializer = insert.Parameters.Add("$serializer", SqliteType.Integer);
            var tags = insert.Parameters.Add("$tags", SqliteType.Text);
            var at = insert.Parameters.Add("$at", SqliteType.Text);
            var writer = insert.Parameters.Add("$writer", SqliteType.Text);
            var correlation = insert.Parameters.Add("$correlation", SqliteType.Text);
            var causation = insert.Parameters.Add("$causation", SqliteType.Text);
            var causedBy = insert.Parameters.Add("$causedBy", SqliteType.Text);
            await using var tag = connection.CreateCommand();
            tag.CommandText = "INSERT INTO event_tags (tag, ordering) VALUES ($tag, $ordering)";
            var tagName = tag.Parameters.Add("$tag", SqliteType.Text);
            var tagOrdering = tag.Parameters.Add("$ordering", SqliteType.Integer);

            foreach (var e in events)
            {
                pid.Value = e.PersistenceId;
                seq.Value = e.SequenceNr;
                type.Value = e.Event.TypeName;
                // JSON stays text the database can query; another serializer's bytes are a BLOB.
                payload.SqliteType = e.Event.IsJson ? SqliteType.Text : SqliteType.Blob;
                payload.Value = e.Event.IsJson ? Encoding.UTF8.GetString(e.Event.Payload) : e.Event.Payload;
                serializer.Value = e.Event.SerializerId;
                tags.Value = string.Join('\u001f', e.Tags);
                at.Value = e.Metadata.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
                writer.Value = e.Metadata.WriterId;
                correlation.Value = (object?)e.Metadata.CorrelationId ?? DBNull.Value;
                causation.Value = (object?)e.Metadata.CausationId ?? DBNull.Value;
                causedBy.Value = e.Metadata.CausedBy.ToString();
                var ordering = (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                foreach (var t in e.Tags)
                {
                    tagName.Value = t;
                    tagOrdering.Value = ordering;
                    await tag.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await SqliteStorage.ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.SqliteExtendedErrorCode == 2067)
        {
            await SqliteStorage.ExecuteAsync(connection, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            var conflict = await FindConflictAsync(connection, events, cancellationToken).ConfigureAwait(false);
            throw new JournalConflictException(conflict.PersistenceId, conflict.SequenceNr, ex);
        }
        catch
        {
            await SqliteStorage.ExecuteAsync(connection, "ROLLBACK", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{Select} WHERE persistence_id = $pid AND sequence_nr BETWEEN $from AND $to AND deleted = 0 ORDER BY sequence_nr";
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$from", fromSequenceNr);
        command.Parameters.AddWithValue("$to", toSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Read(reader);
        }
    }

    /// <inheritdoc />
    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(sequence_nr), 0) FROM journal WHERE persistence_id = $pid";
        command.Parameters.AddWithValue("$pid", persistenceId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, long>> ReadHighestSequenceNrsAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        var highest = new Dictionary<string, long>(StringComparer.Ordinal);
        if (persistenceIds.Count == 0)
        {
            return highest;
        }

        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT persistence_id, max(sequence_nr) FROM journal WHERE persistence_id IN ({SqliteStorage.AddIds(command, persistenceIds)}) GROUP BY persistence_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            highest[reader.GetString(0)] = reader.GetInt64(1);
        }

        return highest;
    }

    /// <inheritdoc />
    public async Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE journal SET deleted = 1 WHERE persistence_id = $pid AND sequence_nr <= $to AND deleted = 0";
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$to", toSequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
        => ReadPageAsync($"{Select} WHERE ordering > $after AND deleted = 0 ORDER BY ordering LIMIT $max", null, afterOrdering, max, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default)
        => ReadPageAsync($"{Select} WHERE ordering IN (SELECT ordering FROM event_tags WHERE tag = $tag AND ordering > $after ORDER BY ordering) AND deleted = 0 ORDER BY ordering LIMIT $max", tag, afterOrdering, max, cancellationToken);

    private async Task<IReadOnlyList<StoredEvent>> ReadPageAsync(string sql, string? tag, long afterOrdering, int max, CancellationToken cancellationToken)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$after", afterOrdering);
        command.Parameters.AddWithValue("$max", max);
        if (tag is not null)
        {
            command.Parameters.AddWithValue("$tag", tag);
        }

        var page = new List<StoredEvent>(Math.Min(max, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(Read(reader));
        }

        return page;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(long Ordering, string PersistenceId)>> ReadPersistenceIdsAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ordering, persistence_id FROM journal WHERE sequence_nr = 1 AND ordering > $after ORDER BY ordering LIMIT $max";
        command.Parameters.AddWithValue("$after", afterOrdering);
        command.Parameters.AddWithValue("$max", max);
        var page = new List<(long, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return page;
    }

    private static StoredEvent Read(SqliteDataReader reader)
    {
        var tags = reader.GetString(5);
        return new StoredEvent(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetInt64(2),
            new SerializedEvent(reader.GetString(3), reader.GetFieldValue<byte[]>(4), reader.GetInt32(11)),
            tags.Length == 0 ? [] : tags.Split('\u001f'),
            new EventMetadata(
                DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                Actor.Parse(reader.GetString(10))));
    }

    private static async Task<(string PersistenceId, long SequenceNr)> FindConflictAsync(SqliteConnection connection, IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken)
    {
        var seen = new HashSet<(string, long)>();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM journal WHERE persistence_id = $pid AND sequence_nr = $seq";
        var pid = command.Parameters.Add("$pid", SqliteType.Text);
        var seq = command.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var e in events)
        {
            pid.Value = e.PersistenceId;
            seq.Value = e.SequenceNr;
            if (!seen.Add((e.PersistenceId, e.SequenceNr)) || await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                return (e.PersistenceId, e.SequenceNr);
            }
        }

        return (events[0].PersistenceId, events[0].SequenceNr);
    }
}
