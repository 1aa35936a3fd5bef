using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Query;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Coordinator.Persistence.Hosting;
using Coordinator.TestKit;
using Xunit.Abstractions;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// What our plugin promises beyond the TCK, bound to our plugins and to Akka.Persistence.Sql
/// so that any difference is measured, not assumed: a live <c>AllEvents</c> under concurrent
/// writers sees every event once, in order; a second writer of one entity is fenced; a
/// conflicting write in a shared batch fails only its own actor.
/// </summary>
public abstract class OrderingAndFencingContract<TBinding> : QueryContract<TBinding>
    where TBinding : PluginBinding, new()
{
    private readonly ITestOutputHelper _output;

    // A failed write reaches the actor inside Akka's own Desequenced message, which carries the
    // exception and cannot pass serialize-messages; what we send is checked by the other suites.
    protected OrderingAndFencingContract(ITestOutputHelper output)
        : base(output, "akka.actor.serialize-messages = off")
    {
        _output = output;
    }

    /// <summary>
    /// The gapless guarantee made deterministic (PostgreSQL): a trigger holds writer A's
    /// transaction open for 0.6 s after A has taken its ordering value, while writer B writes
    /// and a live AllEvents follows. A journal that lets B commit first would let the query move
    /// past A's value. Ours makes B wait for A; the time B's event takes to arrive is reported.
    /// </summary>
    [Fact]
    public async Task AllEvents_SlowTransactionHoldingALowerOrdering_IsNotSkipped()
    {
        if (Binding.JournalTable is not { } table)
        {
            // SQLite admits one writer at a time: there is no concurrent transaction to hold.
            Assert.IsType<OurSqliteBinding>(Binding);
            return;
        }

        var warmup = await WriteAsync("warm", 1);
        TestDatabase.Execute($"""
            CREATE FUNCTION {table.Schema}.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.persistence_id = 'slow' THEN PERFORM pg_sleep(0.6); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER slow_insert AFTER INSERT ON {table.Schema}.{table.Name} FOR EACH ROW EXECUTE FUNCTION {table.Schema}.slow_insert();
            """);
        var probe = ((IAllEventsQuery)Journal<IReadJournal>()).AllEvents(Offset.NoOffset()).RunWith(this.SinkProbe<EventEnvelope>(), Materializer);
        probe.Request(10);
        Assert.Equal("warm", (await probe.ExpectNextAsync(TimeSpan.FromSeconds(10))).PersistenceId);

        var slow = Sys.ActorOf(CounterActor.Props("slow"));
        var fast = Sys.ActorOf(CounterActor.Props("fast"));
        var slowWrite = AddAsync(slow, 1);
        await Eventually.TrueAsync(() => TestDatabase.Scalar<long>($"SELECT last_value FROM {table.Schema}.{table.OrderingSequence}") >= 2, "writer A to take its ordering value");
        var clock = Stopwatch.StartNew();
        var fastWrite = AddAsync(fast, 1);
        var first = await probe.ExpectNextAsync(TimeSpan.FromSeconds(30));
        var second = await probe.ExpectNextAsync(TimeSpan.FromSeconds(30));
        _output.WriteLine($"{Binding.GetType().Name}: both events delivered {clock.ElapsedMilliseconds} ms after B wrote");
        await Task.WhenAll(slowWrite, fastWrite);
        Assert.Equal(["slow", "fast"], [first.PersistenceId, second.PersistenceId]);
        probe.Cancel();
        GC.KeepAlive(warmup);
    }

    /// <summary>Writers on two nodes (two actor systems, each with its own batching writer) and one live reader.</summary>
    [Fact]
    public async Task AllEvents_UnderConcurrentWritersOnTwoNodes_EveryEventOnceInOrder()
    {
        const int Writers = 20;
        const int EventsEach = 50;
        var seen = new List<EventEnvelope>();
        var done = ((IAllEventsQuery)Journal<IReadJournal>())
            .AllEvents(Offset.NoOffset())
            .Take(Writers * EventsEach)
            .RunForeach(seen.Add, Materializer);

        using var otherNode = ActorSystem.Create("other-node", Binding.Setup("akka.actor.serialize-messages = off")).StartScheduler();
        var counters = Enumerable.Range(0, Writers).Select(i => (i % 2 == 0 ? Sys : otherNode).ActorOf(CounterActor.Props($"h-{i}"))).ToArray();
        await Task.WhenAll(counters.Select(async counter =>
        {
            for (var n = 1; n <= EventsEach; n++)
            {
                await AddAsync(counter, n);
            }
        }));
        await done.WaitAsync(TimeSpan.FromSeconds(30));
        await otherNode.Terminate();

        var offsets = seen.Select(e => ((Sequence)e.Offset).Value).ToList();
        Assert.Equal(offsets.Order(), offsets);
        Assert.Equal(offsets.Count, offsets.Distinct().Count());
        Assert.Equal(Writers * EventsEach, seen.Select(e => (e.PersistenceId, e.SequenceNr)).Distinct().Count());
        foreach (var entity in seen.GroupBy(e => e.PersistenceId))
        {
            Assert.Equal(Enumerable.Range(1, EventsEach).Select(i => (long)i), entity.Select(e => e.SequenceNr));
        }
    }

    [Fact]
    public async Task SecondWriter_OfOneEntity_IsFencedAndStops()
    {
        // Two actor systems share the database: a zombie from a node believed dead, and the
        // entity's new incarnation elsewhere.
        var zombie = Sys.ActorOf(CounterActor.Props("z-1"));
        await AddAsync(zombie, 1);
        await AddAsync(zombie, 2);

        using var other = ActorSystem.Create("other", Binding.Setup()).StartScheduler();
        var successor = other.ActorOf(CounterActor.Props("z-1"));
        Assert.Equal(2, (await successor.Ask<CounterActor.Added>(new CounterActor.Add(10), TimeSpan.FromSeconds(10))).SequenceNr - 1);

        Watch(zombie);
        zombie.Tell(new CounterActor.Add(100));
        await ExpectTerminatedAsync(zombie, TimeSpan.FromSeconds(10));

        var history = await ((ICurrentEventsByPersistenceIdQuery)Journal<IReadJournal>()).CurrentEventsByPersistenceId("z-1", 0, long.MaxValue).RunWith(Sink.Seq<EventEnvelope>(), Materializer);
        Assert.Equal([1, 2, 10], history.Select(e => ((CounterIncremented)e.Event).By));
        await other.Terminate();
    }

    [Fact]
    public async Task ConflictInASharedBatch_FailsOnlyItsOwnActor()
    {
        var journal = global::Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null);
        var existing = CreateTestProbe();
        journal.Tell(Write("b-dup", 1, existing.Ref));
        await existing.ExpectMsgAsync<WriteMessagesSuccessful>();

        // Sent together, so they reach the writer together and share a batch where batching exists.
        var probes = Enumerable.Range(0, 10).Select(_ => CreateTestProbe()).ToArray();
        var conflicting = CreateTestProbe();
        foreach (var (probe, i) in probes.Select((p, i) => (p, i)))
        {
            journal.Tell(Write($"b-{i}", 1, probe.Ref));
        }

        journal.Tell(Write("b-dup", 1, conflicting.Ref));
        var innocentFailures = 0;
        foreach (var probe in probes)
        {
            var outcome = await probe.ExpectMsgAsync<object>(TimeSpan.FromSeconds(10));
            if (outcome is WriteMessagesFailed)
            {
                innocentFailures++;
            }
            else
            {
                Assert.IsType<WriteMessagesSuccessful>(outcome);
            }
        }

        await conflicting.ExpectMsgAsync<WriteMessagesFailed>(TimeSpan.FromSeconds(10));
        _output.WriteLine($"{Binding.GetType().Name}: {innocentFailures} of {probes.Length} innocent writes failed with the conflicting one");
        if (!Binding.Differences.HasFlag(Difference.ConflictFailsSharedBatch))
        {
            Assert.Equal(0, innocentFailures);
        }

        static WriteMessages Write(string pid, long nr, IActorRef replyTo) => new(
            [new AtomicWrite(new Persistent(new CounterIncremented(pid, (int)nr), nr, pid, string.Empty, false, ActorRefs.NoSender, Guid.NewGuid().ToString()))],
            replyTo,
            1);
    }
}

public sealed class OurPostgresOrderingAndFencing(ITestOutputHelper output) : OrderingAndFencingContract<OurPostgresBinding>(output);

public sealed class OurSqliteOrderingAndFencing(ITestOutputHelper output) : OrderingAndFencingContract<OurSqliteBinding>(output);

public sealed class AkkaSqlPostgresOrderingAndFencing(ITestOutputHelper output) : OrderingAndFencingContract<AkkaSqlPostgresBinding>(output);
