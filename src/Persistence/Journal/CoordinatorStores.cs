using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Setup;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Sql.Postgres;
using Coordinator.Persistence.Sql.Sqlite;
using Npgsql;

namespace Coordinator.Persistence.Journal;

/// <summary>The stores behind one journal location, shared by the journal, the snapshot store and the read journal.</summary>
/// <param name="Journal">Events.</param>
/// <param name="Snapshots">Snapshots.</param>
/// <param name="Initialized">Completes once the schema is migrated.</param>
/// <param name="Writer">The batching writer every journal write of this location goes through.</param>
/// <param name="HighestReads">Coalesces recovering entities' highest-sequence-number reads; null when coalescing is off (SQLite by default).</param>
/// <param name="SnapshotReads">Coalesces recovering entities' loads of their latest snapshot (no bounds); null when coalescing is off.</param>
/// <param name="Replays">Coalesces the replays of recovering entities with few events; null when coalescing is off.</param>
public sealed record StoreSet(IJournalStore Journal, ISnapshotStore Snapshots, Task Initialized, WriteBatcher Writer, ReadBatcher<string, long>? HighestReads, ReadBatcher<string, StoredSnapshot?>? SnapshotReads, ReadBatcher<ReplayRange, IReadOnlyList<ReplayedEvent>>? Replays);

/// <summary>
/// An actor-system extension holding one <see cref="StoreSet"/> per journal location (so one
/// connection pool, one migration and one batching writer serve every plugin on it), and the
/// clock the plugins stamp events with.
/// </summary>
public sealed class CoordinatorStores : IExtension, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<StoreSet>> _sets = new(StringComparer.Ordinal);
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly Func<IJournalStore, IJournalStore>? _wrapJournal;

    internal CoordinatorStores(ExtendedActorSystem system)
    {
        var setup = system.Settings.Setup.Get<CoordinatorStoresSetup>();
        _wrapJournal = setup.HasValue ? setup.Value.WrapJournal : null;
        system.RegisterOnTermination(Dispose);
    }

    /// <summary>The clock events and snapshots are stamped with; tests set a fake one before the first write.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>The extension of <paramref name="system"/>.</summary>
    public static CoordinatorStores Get(ActorSystem system) => system.WithExtension<CoordinatorStores, CoordinatorStoresProvider>();

    /// <summary>Every journal location in use, for metrics and benchmarks.</summary>
    public IEnumerable<StoreSet> All => _sets.Values.Where(static s => s.IsValueCreated).Select(static s => s.Value);

    /// <summary>The stores for <paramref name="settings"/>, created and migrated once.</summary>
    public StoreSet For(JournalSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var key = settings.Provider == "sqlite" ? $"sqlite|{Path.GetFullPath(settings.SqlitePath)}" : $"postgresql|{settings.ConnectionString}|{settings.Schema}";
        return _sets.GetOrAdd(key, _ => new Lazy<StoreSet>(() => Create(settings))).Value;
    }

    private StoreSet Create(JournalSettings settings)
    {
        IJournalStore journal;
        ISnapshotStore snapshots;
        if (settings.Provider == "sqlite")
        {
            var storage = new SqliteStorage(settings.SqlitePath);
            journal = new SqliteJournalStore(storage);
            snapshots = new SqliteSnapshots(storage);
        }
        else
        {
            // Recovery and queries stream many rows: larger socket buffers mean fewer reads.
            var connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
            connection.ReadBufferSize = Math.Max(connection.ReadBufferSize, 64 * 1024);
            connection.WriteBufferSize = Math.Max(connection.WriteBufferSize, 64 * 1024);
            var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
            lock (_owned)
            {
                _owned.Add(dataSource);
            }

            var options = new PostgresOptions { Schema = settings.Schema };
            journal = new PostgresJournalStore(dataSource, options);
            snapshots = new PostgresSnapshots(dataSource, options);
        }

        journal = _wrapJournal?.Invoke(journal) ?? journal;
        var initialized = settings.AutoInitialize ? journal.InitializeAsync() : Task.CompletedTask;
        var writer = new WriteBatcher(journal, settings.MaxBatchEvents, settings.MaxPendingEvents);
        var coalesce = settings.CoalescesRecoveryReads;
        var highest = !coalesce ? null : new ReadBatcher<string, long>(
            journal.ReadHighestSequenceNrsAsync,
            journal.ReadHighestSequenceNrAsync,
            0L,
            settings.MaxBatchReads);
        var latest = !coalesce ? null : new ReadBatcher<string, StoredSnapshot?>(
            async (ids, ct) => (IReadOnlyDictionary<string, StoredSnapshot?>)await snapshots.LoadLatestAsync(ids, ct).ConfigureAwait(false),
            (id, ct) => snapshots.LoadLatestAsync(id, long.MaxValue, ct),
            null,
            settings.MaxBatchReads);
        var replays = !coalesce ? null : new ReadBatcher<ReplayRange, IReadOnlyList<ReplayedEvent>>(
            async (ranges, ct) =>
            {
                var events = new Dictionary<ReplayRange, IReadOnlyList<ReplayedEvent>>(ranges.Count);
                await foreach (var (range, replayed) in journal.ReplayAsync(ranges, ct).ConfigureAwait(false))
                {
                    if (!events.TryGetValue(ranges[range], out var list))
                    {
                        events[ranges[range]] = list = new List<ReplayedEvent>();
                    }

                    ((List<ReplayedEvent>)list).Add(replayed);
                }

                return events;
            },
            async (range, ct) =>
            {
                var list = new List<ReplayedEvent>();
                await foreach (var replayed in journal.ReplayAsync(range.PersistenceId, range.FromSequenceNr, range.ToSequenceNr, ct).ConfigureAwait(false))
                {
                    list.Add(replayed);
                }

                return list;
            },
            [],
            settings.MaxBatchReads);
        lock (_owned)
        {
            _owned.Add(writer);
            _owned.AddRange(new IAsyncDisposable?[] { highest, latest, replays }.OfType<IAsyncDisposable>());
        }

        return new StoreSet(journal, snapshots, initialized, writer, highest, latest, replays);
    }

    /// <summary>Stops the writers and closes the connection pools.</summary>
    public void Dispose()
    {
        IAsyncDisposable[] owned;
        lock (_owned)
        {
            owned = [.. _owned];
            _owned.Clear();
        }

        foreach (var resource in owned)
        {
            resource.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

/// <summary>
/// Options of <see cref="CoordinatorStores"/> given when the actor system is created (pass it to
/// <see cref="ActorSystem.Create(string, ActorSystemSetup)"/> with the other setups).
/// </summary>
/// <param name="wrapJournal">See <see cref="WrapJournal"/>.</param>
public sealed class CoordinatorStoresSetup(Func<IJournalStore, IJournalStore>? wrapJournal) : Setup
{
    /// <summary>
    /// Wraps the journal store of every location before the journal plugin, the batching writer
    /// or the read journal use it: for tests that hold, slow down or fail writes (a
    /// fault-injecting decorator around the real PostgreSQL or SQLite store). Null in production.
    /// </summary>
    public Func<IJournalStore, IJournalStore>? WrapJournal { get; } = wrapJournal;
}

/// <summary>Creates <see cref="CoordinatorStores"/>.</summary>
public sealed class CoordinatorStoresProvider : ExtensionIdProvider<CoordinatorStores>
{
    /// <inheritdoc />
    public override CoordinatorStores CreateExtension(ExtendedActorSystem system) => new(system);
}
