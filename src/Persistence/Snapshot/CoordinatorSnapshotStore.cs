using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Journal;

namespace Coordinator.Persistence.Snapshot;

/// <summary>Coordinator's snapshot store as an Akka.Persistence plugin, beside the journal's tables.</summary>
public sealed class CoordinatorSnapshotStore : SnapshotStore
{
    private readonly StoreSet _stores;
    private readonly PersistentConverter _converter;

    /// <summary>Created by Akka.Persistence from the plugin's HOCON block.</summary>
    public CoordinatorSnapshotStore(Config config)
    {
        var settings = JournalSettings.From(config.WithFallback(CoordinatorPersistence.DefaultConfig.GetConfig(JournalSettings.SnapshotPluginId)), JournalSettings.SnapshotPluginId);
        var extension = CoordinatorStores.Get(Context.System);
        _stores = extension.For(settings);
        _converter = new PersistentConverter((ExtendedActorSystem)Context.System, extension.Time);
    }

    /// <inheritdoc />
    protected override async Task<SelectedSnapshot> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        await _stores.Initialized.ConfigureAwait(false);
        var range = Range(criteria);

        // Recovery asks for the latest snapshot without bounds: those loads of entities
        // recovering at the same time are answered together (ReadBatcher); bounded ones alone.
        var stored = range == Unbounded && _stores.SnapshotReads is { } batcher
            ? await batcher.ReadAsync(persistenceId, cancellationToken).ConfigureAwait(false)
            : await _stores.Snapshots.LoadLatestAsync(persistenceId, range, cancellationToken).ConfigureAwait(false);
        return stored is null
            ? null!
            : new SelectedSnapshot(new SnapshotMetadata(persistenceId, stored.SequenceNr, stored.Timestamp.UtcDateTime), _converter.Deserialize(stored.State));
    }

    /// <inheritdoc />
    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        await _stores.Initialized.ConfigureAwait(false);
        var stamp = metadata.Timestamp == DateTime.MinValue ? _converter.Now : new DateTimeOffset(DateTime.SpecifyKind(metadata.Timestamp, DateTimeKind.Utc));
        await _stores.Snapshots.SaveAsync(new StoredSnapshot(metadata.PersistenceId, metadata.SequenceNr, stamp, _converter.Serialize(snapshot)), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        await _stores.Initialized.ConfigureAwait(false);
        var to = metadata.Timestamp == DateTime.MinValue ? DateTimeOffset.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(metadata.Timestamp, DateTimeKind.Utc));
        await _stores.Snapshots.DeleteAsync(metadata.PersistenceId, new SnapshotRange(metadata.SequenceNr, metadata.SequenceNr, DateTimeOffset.MinValue, to), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        await _stores.Initialized.ConfigureAwait(false);
        await _stores.Snapshots.DeleteAsync(persistenceId, Range(criteria), cancellationToken).ConfigureAwait(false);
    }

    private static readonly SnapshotRange Unbounded = new(0, long.MaxValue, DateTimeOffset.MinValue, DateTimeOffset.MaxValue);

    private static SnapshotRange Range(SnapshotSelectionCriteria criteria) => new(
        criteria.MinSequenceNr,
        criteria.MaxSequenceNr,
        criteria.MinTimestamp is { } min && min != DateTime.MinValue ? new DateTimeOffset(DateTime.SpecifyKind(min, DateTimeKind.Utc)) : DateTimeOffset.MinValue,
        criteria.MaxTimeStamp == DateTime.MaxValue ? DateTimeOffset.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(criteria.MaxTimeStamp, DateTimeKind.Utc)));
}
