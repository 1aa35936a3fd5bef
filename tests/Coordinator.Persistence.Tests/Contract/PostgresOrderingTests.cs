using Coordinator.Persistence.Sql.Postgres;

namespace Coordinator.Persistence.Tests.Contract;

/// <summary>
/// The gapless guarantee on PostgreSQL, made deterministic: a trigger keeps writer A's
/// transaction open for a while after A has taken its ordering value, while writer B writes
/// and a reader follows. A naive journal lets B commit a higher ordering first, the reader moves
/// past A's value, and A's event is never read. Ours makes B wait for A.
/// </summary>
public sealed class PostgresOrderingTests
{
    [Fact]
    public async Task SlowTransaction_HoldingALowerOrdering_IsNeverSkippedByAFollowingReader()
    {
        var schema = $"gap{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
        var journal = new PostgresJournalStore(Postgres.DataSource, new PostgresOptions { Schema = schema });
        await journal.InitializeAsync();
        await using (var trigger = Postgres.DataSource.CreateCommand($"""
            CREATE FUNCTION {schema}.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.persistence_id = 'slow' THEN PERFORM pg_sleep(0.6); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER slow_insert AFTER INSERT ON {schema}.journal FOR EACH ROW EXECUTE FUNCTION {schema}.slow_insert();
            """))
        {
            await trigger.ExecuteNonQueryAsync();
        }

        var slow = Task.Run(() => journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("slow", 1)]));
        // Wait until A has taken its ordering value (its transaction then sleeps in the trigger).
        await Eventually.TrueAsync(
            () =>
            {
                using var taken = Postgres.DataSource.CreateCommand($"SELECT is_called FROM {schema}.journal_ordering_seq");
                return (bool)taken.ExecuteScalar()!;
            },
            "writer A to take an ordering value");
        var fast = Task.Run(() => journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("fast", 1)]));

        var seen = new List<StoredEvent>();
        var offset = 0L;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (seen.Count < 2 && DateTime.UtcNow < deadline)
        {
            var page = await journal.ReadAllAsync(offset, 100);
            seen.AddRange(page);
            offset = page.Count > 0 ? page[^1].Ordering : offset;
            await Task.Delay(20);
        }

        await Task.WhenAll(slow, fast);
        Assert.Equal(["slow", "fast"], seen.Select(e => e.PersistenceId));
    }
}
