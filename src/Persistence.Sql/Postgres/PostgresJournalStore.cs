using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Coordinator.Persistence.Sql.Postgres;

/// <summary>
/// The journal on PostgreSQL. A write is one transaction: it takes a transaction-scoped
/// advisory lock, then streams every event of the batch with binary COPY. The lock makes
/// ordering values increase in commit order across every writer on every node, so a projection
/// reading <c>ordering &gt; offset</c> never skips an event whose transaction commits later
/// (the missed-event problem of Akka.Persistence.Sql, issues #176 and #345 there). The cost is
/// one lock per batch, which batching makes cheap. The wait for the lock is bounded
/// (<see cref="PostgresOptions.LockTimeout"/>, a transient failure past it) and so is a stalled
/// transaction holding it (<see cref="PostgresOptions.IdleInTransactionTimeout"/>), so one stuck
/// session cannot stall every writer. A conflict is attributed to the right entity whether or
/// not the connection string sets <c>Include Error Detail</c>.
/// </summary>
public sealed partial class PostgresJournalStore : IJournalStore
{
    /// <summary>The advisory lock class of the ordering lock ("Jrnl"); its key is the schema name's hash.</summary>
    internal const int OrderingLockClass = 0x4A726E6C;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly string _copy;
    private readonly string _select;
    private readonly string _setTimeouts;
    private readonly TimeSpan _lockTimeout;

    /// <summary>Creates the store on <paramref name="dataSource"/>.</summary>
    public PostgresJournalStore(NpgsqlDataSource dataSource, PostgresOptions? options = null)
    {
        options ??= new PostgresOptions();
        options.Validate();
        _dataSource = dataSource;
        _schema = options.Schema;
        _copy = $"COPY {_schema}.journal (persistence_id, sequence_nr, event_type, payload, tags, written_at, writer_id, correlation_id, causation_id, caused_by, serializer_id, payload_bytes) FROM STDIN (FORMAT BINARY)";
        _lockTimeout = options.LockTimeout;
        _setTimeouts = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SELECT set_config('lock_timeout', '{(long)options.LockTimeout.TotalMilliseconds}', true), set_config('idle_in_transaction_session_timeout', '{(long)options.IdleInTransactionTimeout.TotalMilliseconds}', true)");
        _select = $"SELECT ordering, persistence_id, sequence_nr, event_type, payload::text, tags, written_at, writer_id, correlation_id, causation_id, caused_by, serializer_id, payload_bytes FROM {_schema}.journal";
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => PostgresSchema.MigrateAsync(_dataSource, _schema, cancellationToken);

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockBatch = new NpgsqlBatch(connection, transaction))
        {
            // One round trip: this transaction's bounds, then the lock.
            lockBatch.BatchCommands.Add(new NpgsqlBatchCommand(_setTimeouts));
            var take = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))");
            take.Parameters.AddWithValue(OrderingLockClass);
            take.Parameters.AddWithValue(_schema);
            lockBatch.BatchCommands.Add(take);
            try
            {
                await lockBatch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                throw new TransientException($"The journal's ordering lock (advisory lock {OrderingLockClass}, schema {_schema}) was not granted within PostgresOptions.LockTimeout ({_lockTimeout}): another session holds it, likely a stuck transaction. Nothing was written; the write can be retried. If it persists, find the session in pg_locks (locktype 'advisory') and end it, or raise PostgresOptions.LockTimeout.", ex);
            }
        }

        try
        {
            await using (var import = await connection.BeginBinaryImportAsync(_copy, cancellationToken).ConfigureAwait(false))
            {
                // Rows go into Npgsql's write buffer, which flushes when full: the synchronous
                // Write calls avoid ten awaits per row on the writer's hot path.
                foreach (var e in events)
                {
                    import.StartRow();
                    import.Write(e.PersistenceId, NpgsqlDbType.Text);
                    import.Write(e.SequenceNr, NpgsqlDbType.Bigint);
                    import.Write(e.Event.TypeName, NpgsqlDbType.Text);
                    if (e.Event.IsJson)
                    {
                        import.Write(Encoding.UTF8.GetString(e.Event.Payload), NpgsqlDbType.Jsonb);
                    }
                    else
                    {
                        import.WriteNull();
                    }

                    import.Write(e.Tags as string[] ?? [.. e.Tags], NpgsqlDbType.Array | NpgsqlDbType.Text);
                    import.Write(e.Metadata.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz);
                    import.Write(e.Metadata.WriterId, NpgsqlDbType.Text);
                    WriteNullable(import, e.Metadata.CorrelationId);
                    WriteNullable(import, e.Metadata.CausationId);
                    import.Write(e.Metadata.CausedBy.ToString(), NpgsqlDbType.Text);
                    import.Write(e.Event.SerializerId, NpgsqlDbType.Integer);
                    if (e.Event.IsJson)
                    {
                        import.WriteNull();
                    }
                    else
                    {
                        import.Write(e.Event.Payload, NpgsqlDbType.Bytea);
                    }
                }

                await import.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            var (persistenceId, sequenceNr) = ParseConflict(ex) ?? await FindConflictAsync(connection, events, cancellationToken).ConfigureAwait(false);
            throw new JournalConflictException(persistenceId, sequenceNr, ex);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"{_select} WHERE persistence_id = $1 AND sequence_nr BETWEEN $2 AND $3 AND NOT deleted ORDER BY sequence_nr");
        command.Parameters.AddWithValue(persistenceId);
        command.Parameters.AddWithValue(fromSequenceNr);
        command.Parameters.AddWithValue(toSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Read(reader);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ReplayedEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Only what recovery needs, the JSON read as the server sends it (no text cast), rows
        // streamed without buffering.
        await using var command = _dataSource.CreateCommand($"SELECT sequence_nr, event_type, payload, serializer_id, payload_bytes, writer_id, written_at FROM {_schema}.journal WHERE persistence_id = $1 AND sequence_nr BETWEEN $2 AND $3 AND NOT deleted ORDER BY sequence_nr");
        command.Parameters.AddWithValue(persistenceId);
        command.Parameters.AddWithValue(fromSequenceNr);
        command.Parameters.AddWithValue(toSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadReplayed(reader, 0);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(int Range, ReplayedEvent Event)> ReplayAsync(IReadOnlyList<ReplayRange> ranges, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.Count == 0)
        {
            yield break;
        }

        await using var command = _dataSource.CreateCommand(
            $"SELECT j.sequence_nr, j.event_type, j.payload, j.serializer_id, j.payload_bytes, j.writer_id, j.written_at, r.n FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(id, from_nr, to_nr, n) JOIN {_schema}.journal j ON j.persistence_id = r.id AND j.sequence_nr BETWEEN r.from_nr AND r.to_nr WHERE NOT j.deleted ORDER BY r.n, j.sequence_nr");
        command.Parameters.AddWithValue(ranges.Select(r => r.PersistenceId).ToArray());
        command.Parameters.AddWithValue(ranges.Select(r => r.FromSequenceNr).ToArray());
        command.Parameters.AddWithValue(ranges.Select(r => r.ToSequenceNr).ToArray());
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var replayed = ReadReplayed(reader, 0);
            yield return ((int)(reader.GetInt64(7) - 1), replayed);
        }
    }

    /// <summary>A replayed event from columns sequence_nr, event_type, payload, serializer_id, payload_bytes, writer_id, written_at, in that order from <paramref name="first"/> (read in order: sequential access).</summary>
    private static ReplayedEvent ReadReplayed(NpgsqlDataReader reader, int first)
    {
        var sequenceNr = reader.GetInt64(first);
        var type = reader.GetString(first + 1);
        byte[] payload;
        var serializerId = 0;
        if (!reader.IsDBNull(first + 2))
        {
            payload = Encoding.UTF8.GetBytes(reader.GetString(first + 2));
        }
        else
        {
            serializerId = reader.GetInt32(first + 3);
            payload = reader.GetFieldValue<byte[]>(first + 4);
        }

        return new ReplayedEvent(sequenceNr, new SerializedEvent(type, payload, serializerId), reader.GetString(first + 5), new DateTimeOffset(reader.GetDateTime(first + 6), TimeSpan.Zero));
    }

    /// <inheritdoc />
    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT coalesce(max(sequence_nr), 0) FROM {_schema}.journal WHERE persistence_id = $1");
        command.Parameters.AddWithValue(persistenceId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredEvent> ReadEventsAsync(IReadOnlyList<ReplayFrom> entities, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entities);
        await using var command = _dataSource.CreateCommand(
            $"{_select} JOIN unnest($1::text[], $2::bigint[]) AS r(id, from_nr) ON persistence_id = r.id AND sequence_nr >= r.from_nr WHERE NOT deleted ORDER BY persistence_id, sequence_nr");
        command.Parameters.AddWithValue(entities.Select(e => e.PersistenceId).ToArray());
        command.Parameters.AddWithValue(entities.Select(e => e.FromSequenceNr).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Read(reader);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, long>> ReadHighestSequenceNrsAsync(IReadOnlyList<string> persistenceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        await using var command = _dataSource.CreateCommand($"SELECT persistence_id, max(sequence_nr) FROM {_schema}.journal WHERE persistence_id = ANY($1) GROUP BY persistence_id");
        command.Parameters.AddWithValue(persistenceIds.ToArray());
        var highest = new Dictionary<string, long>(StringComparer.Ordinal);
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
        await using var command = _dataSource.CreateCommand($"UPDATE {_schema}.journal SET deleted = true WHERE persistence_id = $1 AND sequence_nr <= $2 AND NOT deleted");
        command.Parameters.AddWithValue(persistenceId);
        command.Parameters.AddWithValue(toSequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
        => ReadPageAsync($"{_select} WHERE ordering > $1 AND NOT deleted ORDER BY ordering LIMIT $2", null, afterOrdering, max, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default)
        => ReadPageAsync($"{_select} WHERE tags @> ARRAY[$3]::text[] AND ordering > $1 AND NOT deleted ORDER BY ordering LIMIT $2", tag, afterOrdering, max, cancellationToken);

    private async Task<IReadOnlyList<StoredEvent>> ReadPageAsync(string sql, string? tag, long afterOrdering, int max, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(afterOrdering);
        command.Parameters.AddWithValue(max);
        if (tag is not null)
        {
            command.Parameters.AddWithValue(tag);
        }

        var page = new List<StoredEvent>(Math.Min(max, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add(Read(reader));
        }

        return page;
    }

    private static StoredEvent Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetInt64(2),
        ReadPayload(reader, 3, 4, 11, 12),
        reader.GetFieldValue<string[]>(5),
        new EventMetadata(
            new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero),
            reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetString(9),
            Actor.Parse(reader.GetString(10))));

    /// <summary>Reads a payload stored as JSON (serializer 0) or as another serializer's bytes.</summary>
    internal static SerializedEvent ReadPayload(NpgsqlDataReader reader, int typeColumn, int jsonColumn, int serializerColumn, int bytesColumn)
    {
        var serializerId = reader.GetInt32(serializerColumn);
        return serializerId == SerializedEvent.Json
            ? new SerializedEvent(reader.GetString(typeColumn), Encoding.UTF8.GetBytes(reader.GetString(jsonColumn)))
            : new SerializedEvent(reader.GetString(typeColumn), reader.GetFieldValue<byte[]>(bytesColumn), serializerId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(long Ordering, string PersistenceId)>> ReadPersistenceIdsAsync(long afterOrdering, int max, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT ordering, persistence_id FROM {_schema}.journal WHERE sequence_nr = 1 AND ordering > $1 ORDER BY ordering LIMIT $2");
        command.Parameters.AddWithValue(afterOrdering);
        command.Parameters.AddWithValue(max);
        var page = new List<(long, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            page.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return page;
    }

    private static void WriteNullable(NpgsqlBinaryImporter import, string? value)
    {
        if (value is null)
        {
            import.WriteNull();
        }
        else
        {
            import.Write(value, NpgsqlDbType.Text);
        }
    }

    /// <summary>The conflicting key from the error's detail, which the server sends only with <c>Include Error Detail</c>; null without it.</summary>
    private static (string PersistenceId, long SequenceNr)? ParseConflict(PostgresException ex)
    {
        // Detail: Key (persistence_id, sequence_nr)=(case-1, 3) already exists.
        var match = ConflictDetail().Match(ex.Detail ?? string.Empty);
        return match.Success && long.TryParse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture, out var sequenceNr)
            ? (match.Groups[1].Value, sequenceNr)
            : null;
    }

    /// <summary>
    /// The conflicting event of a rolled-back batch without the error's detail: the first, in batch
    /// order, that is written already, else the first the batch repeats (which PostgreSQL rejects
    /// within the batch).
    /// </summary>
    private async Task<(string PersistenceId, long SequenceNr)> FindConflictAsync(NpgsqlConnection connection, IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken)
    {
        var existing = new HashSet<(string, long)>();
        await using (var command = new NpgsqlCommand($"SELECT j.persistence_id, j.sequence_nr FROM {_schema}.journal j JOIN unnest($1::text[], $2::bigint[]) AS b(id, nr) ON j.persistence_id = b.id AND j.sequence_nr = b.nr", connection))
        {
            command.Parameters.AddWithValue(events.Select(e => e.PersistenceId).ToArray());
            command.Parameters.AddWithValue(events.Select(e => e.SequenceNr).ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                existing.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var seen = new HashSet<(string, long)>();
        var repeated = ((string, long)?)null;
        foreach (var e in events)
        {
            var key = (e.PersistenceId, e.SequenceNr);
            if (existing.Contains(key))
            {
                return key;
            }

            if (!seen.Add(key))
            {
                repeated ??= key;
            }
        }

        return repeated ?? (events[0].PersistenceId, events[0].SequenceNr);
    }

    [GeneratedRegex(@"=\((.*), (\d+)\) already exists", RegexOptions.CultureInvariant)]
    private static partial Regex ConflictDetail();
}
