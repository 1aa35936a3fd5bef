using System.Data.Common;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Sql;

/// <summary>The <c>dead_letters</c> table's columns and rows, shared by the PostgreSQL and SQLite stores.</summary>
internal static class DeadLetterRows
{
    /// <summary>Every column of a <see cref="DeadLetterRecord"/>, in the order <see cref="Read"/> expects.</summary>
    public const string Columns = "topic, partition, \"offset\", record_key, record_value, reason, detail, consumer_group, recorded_at, record_key_raw";

    /// <summary>Reads a row selected with <see cref="Columns"/>; <paramref name="recordedAt"/> is its ninth column as the store keeps it.</summary>
    public static DeadLetterRecord Read(DbDataReader reader, DateTimeOffset recordedAt) => new(
        reader.GetString(0),
        reader.GetInt32(1),
        reader.GetInt64(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetFieldValue<byte[]>(4),
        Enum.Parse<DeadLetterReason>(reader.GetString(5)),
        reader.GetString(6),
        reader.GetString(7),
        recordedAt)
    {
        RawKey = reader.IsDBNull(9) ? null : reader.GetFieldValue<byte[]>(9),
    };
}
