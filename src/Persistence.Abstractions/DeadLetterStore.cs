namespace Coordinator.Persistence.Abstractions;

/// <summary>Why an incoming record could not be applied.</summary>
public enum DeadLetterReason
{
    /// <summary>The value is not the JSON envelope the coordinator reads (or not JSON at all).</summary>
    Undecodable,

    /// <summary>The record has no key, so it names no entity.</summary>
    MissingKey,

    /// <summary>The envelope names a type or version no contract is registered for.</summary>
    UnknownType,

    /// <summary>The data does not satisfy its contract (a required field is missing or a value is out of range).</summary>
    ContractViolated,

    /// <summary>Reading the record under its contract threw an unexpected exception (a validator or converter fault); the detail names the exception.</summary>
    DecodingFailed,

    /// <summary>The journal refused to store the record's data (a data error from the database, not a transient one): writing it again would fail again.</summary>
    JournalRefused,
}

/// <summary>An incoming record set aside because it cannot be applied, with everything needed to repair and replay it.</summary>
/// <param name="Topic">Where it was read.</param>
/// <param name="Partition">Its partition.</param>
/// <param name="Offset">Its offset: (topic, partition, offset) identifies it, so recording it twice keeps one entry.</param>
/// <param name="Key">Its key as text, or null when it had none: decoded as UTF-8, with U+0000 written as <c>\u0000</c> so every store can hold it (the bytes are in <see cref="RawKey"/>).</param>
/// <param name="Value">Its value, byte for byte.</param>
/// <param name="Reason">The kind of problem.</param>
/// <param name="Detail">What exactly is wrong and how to fix it.</param>
/// <param name="ConsumerGroup">The consumer group that read it.</param>
/// <param name="RecordedAt">When it was set aside.</param>
public sealed record DeadLetterRecord(
    string Topic,
    int Partition,
    long Offset,
    string? Key,
    byte[] Value,
    DeadLetterReason Reason,
    string Detail,
    string ConsumerGroup,
    DateTimeOffset RecordedAt)
{
    /// <summary>Its key byte for byte, or null when it had none (or the store predates the column).</summary>
    public byte[]? RawKey { get; init; }
}

/// <summary>
/// Keeps incoming records that could not be applied (poison records), so the partition they
/// arrived on keeps flowing and nothing is silently dropped. Implementations: memory, SQLite,
/// PostgreSQL (table <c>dead_letters</c>).
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Records <paramref name="record"/>; a second record of the same (topic, partition, offset) is ignored.</summary>
    Task AddAsync(DeadLetterRecord record, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> records, oldest first.</summary>
    Task<IReadOnlyList<DeadLetterRecord>> ListAsync(int max = 1_000, CancellationToken cancellationToken = default);
}

/// <summary>An in-process dead-letter store for tests and benchmarks; unbounded, so production uses SQLite or PostgreSQL.</summary>
public sealed class MemoryDeadLetterStore : IDeadLetterStore
{
    private readonly object _gate = new();
    private readonly List<DeadLetterRecord> _records = [];
    private readonly HashSet<(string, int, long)> _keys = [];

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc />
    public Task AddAsync(DeadLetterRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            if (_keys.Add((record.Topic, record.Partition, record.Offset)))
            {
                _records.Add(record);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DeadLetterRecord>> ListAsync(int max = 1_000, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<DeadLetterRecord>>([.. _records.Take(max)]);
        }
    }
}
