using System.Globalization;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Sql.Sqlite;

/// <summary>Dead letters in the SQLite file (table <c>dead_letters</c> beside the journal).</summary>
public sealed class SqliteDeadLetterStore(SqliteStorage storage) : IDeadLetterStore
{
    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => storage.MigrateAsync(cancellationToken);

    /// <inheritdoc />
    public async Task AddAsync(DeadLetterRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT OR IGNORE INTO dead_letters ({DeadLetterRows.Columns})
            VALUES ($topic, $partition, $offset, $key, $value, $reason, $detail, $group, $at, $rawKey)
            """;
        command.Parameters.AddWithValue("$topic", record.Topic);
        command.Parameters.AddWithValue("$partition", record.Partition);
        command.Parameters.AddWithValue("$offset", record.Offset);
        command.Parameters.AddWithValue("$key", (object?)record.Key ?? DBNull.Value);
        command.Parameters.AddWithValue("$value", record.Value);
        command.Parameters.AddWithValue("$reason", record.Reason.ToString());
        command.Parameters.AddWithValue("$detail", record.Detail);
        command.Parameters.AddWithValue("$group", record.ConsumerGroup);
        command.Parameters.AddWithValue("$at", record.RecordedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$rawKey", (object?)record.RawKey ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeadLetterRecord>> ListAsync(int max = 1_000, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {DeadLetterRows.Columns} FROM dead_letters ORDER BY id LIMIT $max";
        command.Parameters.AddWithValue("$max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<DeadLetterRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(DeadLetterRows.Read(reader, DateTimeOffset.Parse(reader.GetString(8), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)));
        }

        return records;
    }
}
