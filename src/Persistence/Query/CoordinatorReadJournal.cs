using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Streams.Dsl;
using Akka.Util;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Journal;

namespace Coordinator.Persistence.Query;

/// <summary>
/// Akka.Persistence.Query over Coordinator's journal tables. Offsets are the journal's global
/// <c>ordering</c> (<see cref="Sequence"/>), exclusive: a query from offset <c>n</c> starts at
/// the first event after <c>n</c>. Because ordering values are handed out in commit order under
/// the journal's lock, a live query that has passed offset <c>n</c> never meets an event below
/// <c>n</c> later: nothing is skipped, on any node, with no gap-detection timeout. Live queries
/// poll every <c>refresh-interval</c> (default 100 ms) and read pages of <c>max-buffer-size</c>;
/// each page is read only when downstream asks, so a slow consumer back-pressures the query.
/// </summary>
public sealed class CoordinatorReadJournal :
    IEventsByPersistenceIdQuery,
    ICurrentEventsByPersistenceIdQuery,
    IAllEventsQuery,
    ICurrentAllEventsQuery,
    IEventsByTagQuery,
    ICurrentEventsByTagQuery,
    IPersistenceIdsQuery,
    ICurrentPersistenceIdsQuery
{
    /// <summary>The HOCON path of this read journal: <c>PersistenceQuery.Get(system).ReadJournalFor&lt;CoordinatorReadJournal&gt;(Identifier)</c>.</summary>
    public const string Identifier = "akka.persistence.query.journal.coordinator";

    private readonly StoreSet _stores;
    private readonly PersistentConverter _converter;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshInterval;
    private readonly int _pageSize;

    internal CoordinatorReadJournal(ExtendedActorSystem system, Config config)
    {
        config = config.WithFallback(CoordinatorPersistence.DefaultConfig.GetConfig(Identifier));
        var writePlugin = config.GetString("write-plugin", JournalSettings.JournalPluginId);
        var journalConfig = system.Settings.Config.GetConfig(writePlugin).WithFallback(CoordinatorPersistence.DefaultConfig.GetConfig(JournalSettings.JournalPluginId));
        var extension = CoordinatorStores.Get(system);
        _stores = extension.For(JournalSettings.From(journalConfig, writePlugin));
        _converter = new PersistentConverter(system, extension.Time);
        _time = extension.Time;
        _refreshInterval = config.GetTimeSpan("refresh-interval", TimeSpan.FromMilliseconds(100));
        _pageSize = config.GetInt("max-buffer-size", 500);
        if (_refreshInterval <= TimeSpan.Zero || _pageSize < 1)
        {
            throw new ConfigurationException($"{Identifier}: refresh-interval ({_refreshInterval}) must be positive and max-buffer-size ({_pageSize}) at least 1.");
        }
    }

    /// <inheritdoc />
    public Source<EventEnvelope, NotUsed> EventsByPersistenceId(string persistenceId, long fromSequenceNr, long toSequenceNr)
        => ByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr, live: true);

    /// <inheritdoc />
    public Source<EventEnvelope, NotUsed> CurrentEventsByPersistenceId(string persistenceId, long fromSequenceNr, long toSequenceNr)
        => ByPersistenceId(persistenceId, fromSequenceNr, toSequenceNr, live: false);

    /// <inheritdoc />
    public Source<EventEnvelope, NotUsed> AllEvents(Offset offset) => ByOrdering(offset, null, live: true);

    /// <inheritdoc />
    public Source<EventEnvelope, NotUsed> CurrentAllEvents(Offset offset) => ByOrdering(offset, null, live: false);

    /// <inheritdoc />
    public Source<EventEnvelope, NotUsed> EventsByTag(string tag, Offset offset) => ByOrdering(offset, tag ?? throw new ArgumentNullException(nameof(tag)), live: true);

    /// <inheritdoc />
    public Source<EventEnvelope, NotUsed> CurrentEventsByTag(string tag, Offset offset) => ByOrdering(offset, tag ?? throw new ArgumentNullException(nameof(tag)), live: false);

    /// <inheritdoc />
    public Source<string, NotUsed> PersistenceIds() => Ids(live: true);

    /// <inheritdoc />
    public Source<string, NotUsed> CurrentPersistenceIds() => Ids(live: false);

    private Source<EventEnvelope, NotUsed> ByPersistenceId(string persistenceId, long fromSequenceNr, long toSequenceNr, bool live)
    {
        ArgumentNullException.ThrowIfNull(persistenceId);
        return Pages<long, EventEnvelope>(Math.Max(1, fromSequenceNr), live, async next =>
        {
            if (next > toSequenceNr)
            {
                return (next, [], true);
            }

            var to = next + _pageSize - 1 < next ? long.MaxValue : Math.Min(toSequenceNr, next + _pageSize - 1);
            var page = new List<EventEnvelope>();
            await foreach (var stored in _stores.Journal.ReadEventsAsync(persistenceId, next, to).ConfigureAwait(false))
            {
                page.Add(Envelope(stored, new Sequence(stored.SequenceNr)));
            }

            // Deleted events leave holes in a page; go past them rather than polling them forever.
            var highest = page.Count > 0 ? page[^1].SequenceNr : next - 1;
            if (page.Count == 0 && await _stores.Journal.ReadHighestSequenceNrAsync(persistenceId).ConfigureAwait(false) >= to)
            {
                highest = to;
            }

            return (highest + 1, page, highest >= toSequenceNr);
        });
    }

    private Source<EventEnvelope, NotUsed> ByOrdering(Offset offset, string? tag, bool live)
    {
        var after = offset switch
        {
            null or NoOffset => 0L,
            Sequence sequence => sequence.Value,
            _ => throw new ArgumentException($"{Identifier} takes a Sequence offset (the journal's ordering) or NoOffset, not {offset.GetType().Name}.", nameof(offset)),
        };
        return Pages<long, EventEnvelope>(after, live, async position =>
        {
            var rows = tag is null
                ? await _stores.Journal.ReadAllAsync(position, _pageSize).ConfigureAwait(false)
                : await _stores.Journal.ReadByTagAsync(tag, position, _pageSize).ConfigureAwait(false);
            var page = new EventEnvelope[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                page[i] = Envelope(rows[i], new Sequence(rows[i].Ordering));
            }

            return (rows.Count > 0 ? rows[^1].Ordering : position, page, false);
        });
    }

    private Source<string, NotUsed> Ids(bool live) => Pages<long, string>(0L, live, async position =>
    {
        var rows = await _stores.Journal.ReadPersistenceIdsAsync(position, _pageSize).ConfigureAwait(false);
        return (rows.Count > 0 ? rows[^1].Ordering : position, [.. rows.Select(static r => r.PersistenceId)], false);
    });

    /// <summary>
    /// A source of pages read one at a time as downstream demands them. A current query ends at
    /// its first empty (or final) page; a live one waits <c>refresh-interval</c> and asks again.
    /// </summary>
    private Source<T, NotUsed> Pages<TState, T>(TState start, bool live, Func<TState, Task<(TState Next, IReadOnlyList<T> Page, bool Final)>> read)
        => Source.UnfoldAsync<(TState Position, bool Done, bool Waited), IReadOnlyList<T>>((start, false, false), async state =>
            {
                if (state.Done)
                {
                    return Option<((TState, bool, bool), IReadOnlyList<T>)>.None;
                }

                await _stores.Initialized.ConfigureAwait(false);
                var (next, page, final) = await read(state.Position).ConfigureAwait(false);
                if (page.Count == 0 && !final)
                {
                    if (!live)
                    {
                        return Option<((TState, bool, bool), IReadOnlyList<T>)>.None;
                    }

                    await Task.Delay(_refreshInterval, _time).ConfigureAwait(false);
                }

                return Option<((TState, bool, bool), IReadOnlyList<T>)>.Create(((next, final, false), page));
            })
            .SelectMany(static page => page)
            .Named(live ? "coordinator-live-query" : "coordinator-current-query");

    private EventEnvelope Envelope(StoredEvent stored, Offset offset) => new(
        offset,
        stored.PersistenceId,
        stored.SequenceNr,
        _converter.Deserialize(stored.Event),
        stored.Metadata.Timestamp.ToUnixTimeMilliseconds(),
        stored.Tags as string[] ?? [.. stored.Tags]);
}

/// <summary>Creates <see cref="CoordinatorReadJournal"/> for <c>PersistenceQuery</c>.</summary>
/// <param name="system">The actor system.</param>
/// <param name="config">The read journal's HOCON block.</param>
public sealed class CoordinatorReadJournalProvider(ExtendedActorSystem system, Config config) : IReadJournalProvider
{
    /// <inheritdoc />
    public IReadJournal GetReadJournal() => new CoordinatorReadJournal(system, config);
}
