using Coordinator.Persistence.Abstractions;
using Npgsql;

namespace Coordinator.Persistence.Sql.Postgres;

/// <summary>Dead letters in PostgreSQL (table <c>dead_letters</c> beside the journal).</summary>
public sealed class PostgresDeadLetterStore : IDeadLetterStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;

    /// <summary>Creates the store on <paramref name="dataSource"/>.</summary>
    public PostgresDeadLetterStore(NpgsqlDataSource dataSource, PostgresOptions? options = null)
    {
        options ??= new PostgresOptions();
        options.Validate();
        _dataSource = dataSource;
        _schema = options.Schema;
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => PostgresSchema.MigrateAsync(_dataSource, _schema, cancellationToken);

    /// <inheritdoc />
    public async Task AddAsync(DeadLetterRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_schema}.dead_letters ({DeadLetterRows.Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (topic, partition, "offset") DO NOTHING
            """);
        command.Parameters.AddWithValue(record.Topic);
        command.Parameters.AddWithValue(record.Partition);
        command.Parameters.AddWithValue(record.Offset);
        command.Parameters.AddWithValue((object?)record.Key ?? DBNull.Value);
        command.Parameters.AddWithValue(record.Value);
        command.Parameters.AddWithValue(record.Reason.ToString());
        command.Parameters.AddWithValue(record.Detail);
        command.Parameters.AddWithValue(record.ConsumerGroup);
        command.Parameters.AddWithValue(record.RecordedAt.UtcDateTime);
        command.Parameters.AddWithValue((object?)record.RawKey ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeadLetterRecord>> ListAsync(int max = 1_000, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"""
            SELECT {DeadLetterRows.Columns} FROM {_schema}.dead_letters ORDER BY id LIMIT $1
            """);
        command.Parameters.AddWithValue(max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<DeadLetterRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(DeadLetterRows.Read(reader, new DateTimeOffset(reader.GetDateTime(8), TimeSpan.Zero)));
        }

        return records;
    }
}
