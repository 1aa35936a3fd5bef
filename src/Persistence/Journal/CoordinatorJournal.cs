using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Persistence.Journal;

/// <summary>
/// Coordinator's journal as an Akka.Persistence plugin, on PostgreSQL or a SQLite file. What it
/// adds to a stock SQL journal: writes of many actors batched into one transaction (binary COPY
/// on PostgreSQL), a global ordering that is gapless and increases in commit order on every node
/// (so <c>AllEvents</c> never skips an event that commits late), and metadata columns for who
/// caused each event (<see cref="Audited"/>). A second writer of one entity (a zombie) fails on
/// the (persistence id, sequence number) key; Akka then stops that actor, as its contract says.
/// </summary>
/// <remarks>
/// Recovery: Akka asks for one persistence id at a time (highest sequence number, then replay).
/// The highest-sequence-number reads of entities recovering at the same time are coalesced into
/// one query for many ids (<see cref="ReadBatcher{TKey, T}"/>), as are their snapshot loads and
/// the replays of entities with few events; a longer replay is one indexed query streamed
/// straight into the actor. On by default on PostgreSQL, off on SQLite (<c>coalesce-recovery-reads</c>).
/// </remarks>
public sealed class CoordinatorJournal : AsyncWriteJournal
{
    /// <summary>Replays of fewer events than this are coalesced with other recovering entities'.</summary>
    internal const long SmallReplay = 64;

    private readonly StoreSet _stores;
    private readonly PersistentConverter _converter;

    /// <summary>Created by Akka.Persistence from the plugin's HOCON block.</summary>
    public CoordinatorJournal(Config config)
    {
        var settings = JournalSettings.From(config.WithFallback(CoordinatorPersistence.DefaultConfig.GetConfig(JournalSettings.JournalPluginId)), JournalSettings.JournalPluginId);
        var extension = CoordinatorStores.Get(Context.System);
        _stores = extension.For(settings);
        _converter = new PersistentConverter((ExtendedActorSystem)Context.System, extension.Time);
    }

    /// <inheritdoc />
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        ArgumentNullException.ThrowIfNull(recoveryCallback);
        if (max <= 0 || toSequenceNr < fromSequenceNr)
        {
            return;
        }

        await _stores.Initialized.ConfigureAwait(false);

        // Akka passes the highest sequence number as the upper bound: an entity with few events
        // is replayed together with the others recovering now (one query); a long one streams alone.
        if (_stores.Replays is { } replays && toSequenceNr - fromSequenceNr < SmallReplay)
        {
            var events = await replays.ReadAsync(new ReplayRange(persistenceId, fromSequenceNr, toSequenceNr)).ConfigureAwait(false);
            for (var i = 0; i < events.Count && i < max; i++)
            {
                recoveryCallback(_converter.ToPersistent(persistenceId, events[i]));
            }

            return;
        }

        var count = 0L;
        await foreach (var replayed in _stores.Journal.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr).ConfigureAwait(false))
        {
            recoveryCallback(_converter.ToPersistent(persistenceId, replayed));
            if (++count >= max)
            {
                break;
            }
        }
    }

    /// <inheritdoc />
    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        await _stores.Initialized.ConfigureAwait(false);
        // Recovering entities ask at once: their reads are answered together (ReadBatcher),
        // each by a query that starts after it was asked.
        return _stores.HighestReads is { } batcher
            ? await batcher.ReadAsync(persistenceId, cancellationToken).ConfigureAwait(false)
            : await _stores.Journal.ReadHighestSequenceNrAsync(persistenceId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await _stores.Initialized.ConfigureAwait(false);

        // Serialize each atomic write on its own: one that cannot be serialized is rejected
        // (the actor is told and goes on) while the others are written.
        var writes = messages.ToList();
        var results = new Exception?[writes.Count];
        var rows = new List<EventToWrite>();
        var rejected = false;
        for (var i = 0; i < writes.Count; i++)
        {
            try
            {
                var payload = (IImmutableList<IPersistentRepresentation>)writes[i].Payload;
                var converted = new EventToWrite[payload.Count];
                for (var j = 0; j < payload.Count; j++)
                {
                    converted[j] = _converter.ToRow(payload[j]);
                }

                rows.AddRange(converted);
            }
            catch (Exception ex)
            {
                results[i] = ex;
                rejected = true;
            }
        }

        try
        {
            await _stores.Writer.WriteAsync(rows).ConfigureAwait(false);
        }
        catch (JournalOverloadedException ex)
        {
            return Enumerable.Repeat<Exception>(ex, writes.Count).ToImmutableList();
        }

        return rejected ? [.. results!] : null!;
    }

    /// <inheritdoc />
    protected override async Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await _stores.Initialized.ConfigureAwait(false);
        await _stores.Journal.DeleteEventsToAsync(persistenceId, toSequenceNr, cancellationToken).ConfigureAwait(false);
    }
}
