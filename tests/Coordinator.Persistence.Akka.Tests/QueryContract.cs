using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// What every read journal must do, modelled on the Akka.Persistence TCK's query specs (our own
/// code): current queries end with what exists, live queries go on to deliver what is written
/// later, offsets resume, tags select, persistence ids appear once each.
/// </summary>
public abstract class QueryContract<TBinding> : PluginTestKit<TBinding>
    where TBinding : PluginBinding, new()
{
    // Generous: CI runs these beside a crash writer persisting flat out on the same two cores.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected QueryContract(ITestOutputHelper output, string? extraHocon = null)
        : base(output, (extraHocon ?? string.Empty) + "\nakka.persistence.query.journal.sql.refresh-interval = 100ms")
    {
        Materializer = Sys.Materializer();
    }

    protected IMaterializer Materializer { get; }

    protected TReadJournal Journal<TReadJournal>()
        where TReadJournal : IReadJournal
        => PersistenceQuery.Get(Sys).ReadJournalFor<TReadJournal>(Binding.ReadJournalId!);

    private IReadJournal ReadJournal => PersistenceQuery.Get(Sys).ReadJournalFor<IReadJournal>(Binding.ReadJournalId!);

    [Fact]
    public async Task CurrentEventsByPersistenceId_AllAndBounded_ThenCompletes()
    {
        await WriteAsync("q-a", 5);
        var query = (ICurrentEventsByPersistenceIdQuery)ReadJournal;
        var all = await query.CurrentEventsByPersistenceId("q-a", 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), Materializer);
        Assert.Equal([1L, 2, 3, 4, 5], all.Select(e => e.SequenceNr));
        Assert.All(all, e => Assert.Equal("q-a", e.PersistenceId));
        var bounded = await query.CurrentEventsByPersistenceId("q-a", 2, 3).RunWith(Sink.Seq<EventEnvelope>(), Materializer);
        Assert.Equal([2L, 3], bounded.Select(e => e.SequenceNr));
        Assert.Equal(new CounterIncremented("q-a", 2), bounded[0].Event);
        Assert.Empty(await query.CurrentEventsByPersistenceId("q-none", 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), Materializer));
    }

    [Fact]
    public async Task EventsByPersistenceId_Live_DeliversLaterEvents()
    {
        var counter = await WriteAsync("q-b", 2);
        var probe = ((IEventsByPersistenceIdQuery)ReadJournal).EventsByPersistenceId("q-b", 0, long.MaxValue).RunWith(this.SinkProbe<EventEnvelope>(), Materializer);
        probe.Request(10);
        Assert.Equal(1, (await probe.ExpectNextAsync(Patience)).SequenceNr);
        Assert.Equal(2, (await probe.ExpectNextAsync(Patience)).SequenceNr);
        await AddAsync(counter, 1);
        var later = await probe.ExpectNextAsync(Patience);
        Assert.Equal(3, later.SequenceNr);
        probe.Cancel();
    }

    [Fact]
    public async Task CurrentAllEvents_FromOffset_ResumesAfterIt()
    {
        await WriteAsync("q-c", 3);
        await WriteAsync("q-d", 3);
        var query = (ICurrentAllEventsQuery)ReadJournal;
        var all = await query.CurrentAllEvents(Offset.NoOffset()).RunWith(Sink.Seq<EventEnvelope>(), Materializer);
        Assert.Equal(6, all.Count);
        Assert.Equal(all.Select(e => ((Sequence)e.Offset).Value).Order(), all.Select(e => ((Sequence)e.Offset).Value));
        var rest = await query.CurrentAllEvents(all[2].Offset).RunWith(Sink.Seq<EventEnvelope>(), Materializer);
        Assert.Equal(all.Skip(3).Select(e => (e.PersistenceId, e.SequenceNr)), rest.Select(e => (e.PersistenceId, e.SequenceNr)));
    }

    [Fact]
    public async Task AllEvents_Live_DeliversLaterEvents()
    {
        var counter = await WriteAsync("q-e", 1);
        var probe = ((IAllEventsQuery)ReadJournal).AllEvents(Offset.NoOffset()).RunWith(this.SinkProbe<EventEnvelope>(), Materializer);
        probe.Request(10);
        Assert.Equal("q-e", (await probe.ExpectNextAsync(Patience)).PersistenceId);
        await AddAsync(counter, 5);
        var later = await probe.ExpectNextAsync(Patience);
        Assert.Equal(2, later.SequenceNr);
        Assert.Equal(new CounterIncremented("q-e", 5), later.Event);
        probe.Cancel();
    }

    [Fact]
    public async Task EventsByTag_CurrentAndLive_OnlyTaggedEvents()
    {
        var red = await WriteAsync("q-red", 2, tag: "red");
        await WriteAsync("q-blue", 2, tag: "blue");
        var current = await ((ICurrentEventsByTagQuery)ReadJournal).CurrentEventsByTag("red", Offset.NoOffset()).RunWith(Sink.Seq<EventEnvelope>(), Materializer);
        Assert.Equal([("q-red", 1L), ("q-red", 2L)], current.Select(e => (e.PersistenceId, e.SequenceNr)));

        var probe = ((IEventsByTagQuery)ReadJournal).EventsByTag("red", current[^1].Offset).RunWith(this.SinkProbe<EventEnvelope>(), Materializer);
        probe.Request(10);
        await AddAsync(red, 1);
        var later = await probe.ExpectNextAsync(Patience);
        Assert.Equal(("q-red", 3L), (later.PersistenceId, later.SequenceNr));
        probe.Cancel();
    }

    [Fact]
    public async Task PersistenceIds_CurrentAndLive_EachOnce()
    {
        await WriteAsync("q-x", 3);
        await WriteAsync("q-y", 1);
        var current = await ((ICurrentPersistenceIdsQuery)ReadJournal).CurrentPersistenceIds().RunWith(Sink.Seq<string>(), Materializer);
        Assert.Equal(["q-x", "q-y"], current.Order());

        var probe = ((IPersistenceIdsQuery)ReadJournal).PersistenceIds().RunWith(this.SinkProbe<string>(), Materializer);
        probe.Request(10);
        var seen = new HashSet<string> { await probe.ExpectNextAsync(Patience), await probe.ExpectNextAsync(Patience) };
        await WriteAsync("q-z", 2);
        seen.Add(await probe.ExpectNextAsync(Patience));
        Assert.Equal(["q-x", "q-y", "q-z"], seen.Order());
        probe.Cancel();
    }

    protected async Task<IActorRef> WriteAsync(string pid, int count, string? tag = null)
    {
        var counter = Sys.ActorOf(CounterActor.Props(pid, tag: tag));
        for (var i = 1; i <= count; i++)
        {
            await AddAsync(counter, i);
        }

        return counter;
    }

    protected async Task AddAsync(IActorRef counter, int by)
    {
        var added = await counter.Ask<CounterActor.Added>(new CounterActor.Add(by), Patience);
        Assert.True(added.SequenceNr > 0);
    }
}

public sealed class OurPostgresQueries(ITestOutputHelper output) : QueryContract<OurPostgresBinding>(output);

public sealed class OurSqliteQueries(ITestOutputHelper output) : QueryContract<OurSqliteBinding>(output);

public sealed class AkkaSqlPostgresQueries(ITestOutputHelper output) : QueryContract<AkkaSqlPostgresBinding>(output);
