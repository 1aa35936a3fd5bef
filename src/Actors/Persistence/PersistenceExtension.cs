using Coordinator.Actors.Diagnostics;

namespace Coordinator.Actors.Persistence;

/// <summary>Settings of <see cref="PersistenceExtension"/>.</summary>
public sealed class PersistenceSettings
{
    /// <summary>Where events go.</summary>
    public required IJournalStore Journal { get; init; }

    /// <summary>Where snapshots go.</summary>
    public required ISnapshotStore SnapshotStore { get; init; }

    /// <summary>Event and snapshot types and their stable names.</summary>
    public required EventTypeRegistry Registry { get; init; }

    /// <summary>Identifies this node in every event's metadata. <value>Default: host name and process id.</value></summary>
    public string WriterId { get; init; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>Most events in one store write. <value>Default: 1,000.</value></summary>
    public int MaxBatchEvents { get; init; } = 1_000;

    /// <summary>Most events accepted and not yet written; beyond it persist calls are rejected (backpressure). <value>Default: 100,000.</value></summary>
    public int MaxPendingEvents { get; init; } = 100_000;

    /// <summary>Events handed to a recovering actor per message. <value>Default: 512.</value></summary>
    public int RecoveryBatchSize { get; init; } = 512;

    /// <summary>
    /// Recoveries read from the stores concurrently, each covering many entities (see
    /// <see cref="MaxRecoveriesPerRead"/>). Bounds the connections recovery takes from the pool.
    /// <value>Default: 4.</value>
    /// </summary>
    public int RecoveryReaders { get; init; } = 4;

    /// <summary>Most entities recovered by one read (one snapshot query, one event query). <value>Default: 256.</value></summary>
    public int MaxRecoveriesPerRead { get; init; } = 256;

    /// <summary>Checks the values, naming the setting and the fix.</summary>
    public void Validate()
    {
        if (MaxBatchEvents < 1)
        {
            throw new ArgumentException($"PersistenceSettings.MaxBatchEvents is {MaxBatchEvents}; set 1 or more (1,000 is a good default).", nameof(MaxBatchEvents));
        }

        if (MaxPendingEvents < MaxBatchEvents)
        {
            throw new ArgumentException($"PersistenceSettings.MaxPendingEvents ({MaxPendingEvents}) must be at least MaxBatchEvents ({MaxBatchEvents}).", nameof(MaxPendingEvents));
        }

        if (RecoveryBatchSize < 1)
        {
            throw new ArgumentException($"PersistenceSettings.RecoveryBatchSize is {RecoveryBatchSize}; set 1 or more.", nameof(RecoveryBatchSize));
        }

        if (RecoveryReaders is < 1 or > 64)
        {
            throw new ArgumentException($"PersistenceSettings.RecoveryReaders is {RecoveryReaders}; set between 1 and 64 (4 is a good default).", nameof(RecoveryReaders));
        }

        if (MaxRecoveriesPerRead is < 1 or > 10_000)
        {
            throw new ArgumentException($"PersistenceSettings.MaxRecoveriesPerRead is {MaxRecoveriesPerRead}; set between 1 and 10,000 (256 is a good default).", nameof(MaxRecoveriesPerRead));
        }

        if (string.IsNullOrWhiteSpace(WriterId))
        {
            throw new ArgumentException("PersistenceSettings.WriterId is empty; set a name for this node.", nameof(WriterId));
        }
    }
}

/// <summary>
/// The persistence extension of an actor system (Akka.Persistence): its journal and snapshot
/// store, the batching writer, and the event type registry. Start it once per system before
/// creating persistent actors.
/// </summary>
public sealed class PersistenceExtension
{
    private PersistenceExtension(ActorSystem system, PersistenceSettings settings)
    {
        System = system;
        Settings = settings;
        Log = system.Log;
        Writer = new JournalWriter(settings.Journal, settings, Log);
        Recovery = new RecoveryReader(this);
    }

    internal RecoveryReader Recovery { get; }

    /// <summary>The system it serves.</summary>
    public ActorSystem System { get; }

    /// <summary>Its settings.</summary>
    public PersistenceSettings Settings { get; }

    /// <summary>The journal.</summary>
    public IJournalStore Journal => Settings.Journal;

    /// <summary>The snapshot store.</summary>
    public ISnapshotStore SnapshotStore => Settings.SnapshotStore;

    /// <summary>The registry of event and snapshot types.</summary>
    public EventTypeRegistry Registry => Settings.Registry;

    /// <summary>Events accepted and not yet durable.</summary>
    public int PendingEvents => Writer.PendingEvents;

    internal JournalWriter Writer { get; }

    internal ActorLog Log { get; }

    /// <summary>Initialises the stores (schema migrations) and registers persistence with <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">Persistence is already started for this system.</exception>
    public static async Task<PersistenceExtension> StartAsync(ActorSystem system, PersistenceSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        await settings.Journal.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await settings.SnapshotStore.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var persistence = new PersistenceExtension(system, settings);
        if (!ReferenceEquals(system.RegisterExtension(persistence), persistence))
        {
            await persistence.Writer.DisposeAsync().ConfigureAwait(false);
            await persistence.Recovery.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"Persistence is already started for actor system {system.Name}.");
        }

        // Writes in flight finish after the last actor stopped.
        _ = system.WhenTerminated.ContinueWith(
            async _ =>
            {
                await persistence.Recovery.DisposeAsync().ConfigureAwait(false);
                await persistence.Writer.DisposeAsync().ConfigureAwait(false);
            },
            TaskScheduler.Default).Unwrap();
        return persistence;
    }

    /// <summary>The persistence of <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">It was not started.</exception>
    public static PersistenceExtension Get(ActorSystem system)
        => system.GetExtension<PersistenceExtension>()
            ?? throw new InvalidOperationException($"Persistence is not started for actor system {system.Name}; call PersistenceExtension.StartAsync(system, settings) before creating persistent actors.");
}
