using System.Diagnostics;
using Coordinator.Contracts;
using Coordinator.Persistence.Sql.Postgres;
using Npgsql;

namespace Coordinator.Persistence.Tests.Contract;

/// <summary>
/// What only the PostgreSQL journal has to get right: a bounded wait for its ordering lock, and
/// conflict attribution without the server's error detail.
/// </summary>
public sealed class PostgresJournalTests : IAsyncLifetime
{
    private readonly string _schema = $"pj{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
    private readonly NpgsqlDataSource _withoutDetail = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { IncludeErrorDetail = false }.ConnectionString);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await using (var drop = Postgres.DataSource.CreateCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await _withoutDetail.DisposeAsync();
    }

    [Fact]
    public async Task Write_AnotherSessionHoldsTheOrderingLock_WaitsOnlyLockTimeout_FailsTransient_AndSucceedsOnceReleased()
    {
        var bound = TimeSpan.FromMilliseconds(500);
        var journal = new PostgresJournalStore(Postgres.DataSource, new PostgresOptions { Schema = _schema, LockTimeout = bound });
        await journal.InitializeAsync();

        // A stuck transaction elsewhere (another node, a psql session) holds the lock.
        await using var other = await Postgres.DataSource.OpenConnectionAsync();
        await using var stuck = await other.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))", other, stuck))
        {
            take.Parameters.AddWithValue(PostgresJournalStore.OrderingLockClass);
            take.Parameters.AddWithValue(_schema);
            await take.ExecuteNonQueryAsync();
        }

        var watch = Stopwatch.StartNew();
        var write = journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("held", 1)]);
        var failure = await Assert.ThrowsAnyAsync<ClassifiedException>(() => write.WaitAsync(TimeSpan.FromSeconds(15)));
        watch.Stop();

        Assert.Equal(FailureClass.Transient, failure.FailureClass);
        Assert.Contains("LockTimeout", failure.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed >= bound * 0.9, $"the write waited for the lock ({watch.Elapsed}), up to LockTimeout ({bound})");
        Assert.True(watch.Elapsed < bound + TimeSpan.FromSeconds(3), $"the write gave up after about LockTimeout ({bound}), not {watch.Elapsed}");
        Assert.Empty(await journal.ReadAllAsync(0, 10));

        await stuck.RollbackAsync();
        await journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("held", 1)]);
        Assert.Single(await journal.ReadAllAsync(0, 10));
    }

    [Fact]
    public async Task Write_SetsItsLockAndIdleTimeouts_ForItsOwnTransactionOnly()
    {
        var journal = new PostgresJournalStore(Postgres.DataSource, new PostgresOptions { Schema = _schema, LockTimeout = TimeSpan.FromMilliseconds(1500), IdleInTransactionTimeout = TimeSpan.FromSeconds(20) });
        await journal.InitializeAsync();
        await using (var trigger = Postgres.DataSource.CreateCommand($"""
            CREATE TABLE {_schema}.seen (lock_timeout text, idle text);
            CREATE FUNCTION {_schema}.record_settings() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {_schema}.seen VALUES (current_setting('lock_timeout'), current_setting('idle_in_transaction_session_timeout'));
                RETURN NEW;
            END $$;
            CREATE TRIGGER record_settings AFTER INSERT ON {_schema}.journal FOR EACH ROW EXECUTE FUNCTION {_schema}.record_settings();
            """))
        {
            await trigger.ExecuteNonQueryAsync();
        }

        await journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("p", 1)]);

        await using (var seen = Postgres.DataSource.CreateCommand($"SELECT lock_timeout || ' ' || idle FROM {_schema}.seen"))
        {
            Assert.Equal("1500ms 20s", (string?)await seen.ExecuteScalarAsync());
        }

        // Set for the transaction only (set_config with is_local): a session from the pool afterwards has the server's defaults.
        await using var after = Postgres.DataSource.CreateCommand("SELECT current_setting('lock_timeout') || ' ' || current_setting('idle_in_transaction_session_timeout')");
        Assert.Equal("0 0", (string?)await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Write_SecondActorOfABatchConflicts_WithoutIncludeErrorDetail_NamesTheSecondActor()
    {
        var journal = new PostgresJournalStore(_withoutDetail, new PostgresOptions { Schema = _schema });
        await journal.InitializeAsync();
        await journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("second", 1)]);

        var conflict = await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("first", 1), JournalContract<PostgresStoreFixture>.Event("first", 2), JournalContract<PostgresStoreFixture>.Event("second", 1)]));

        Assert.Equal(("second", 1L), (conflict.PersistenceId, conflict.SequenceNr));
        Assert.Single(await journal.ReadAllAsync(0, 10));
    }

    [Fact]
    public async Task Write_BatchRepeatingAnEvent_WithoutIncludeErrorDetail_NamesTheRepeatedEvent()
    {
        var journal = new PostgresJournalStore(_withoutDetail, new PostgresOptions { Schema = _schema });
        await journal.InitializeAsync();

        var conflict = await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync([JournalContract<PostgresStoreFixture>.Event("first", 1), JournalContract<PostgresStoreFixture>.Event("second", 1), JournalContract<PostgresStoreFixture>.Event("second", 1)]));

        Assert.Equal(("second", 1L), (conflict.PersistenceId, conflict.SequenceNr));
        Assert.Empty(await journal.ReadAllAsync(0, 10));
    }
}
