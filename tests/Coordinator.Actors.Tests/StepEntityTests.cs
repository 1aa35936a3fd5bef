using System.Text.Json.Nodes;
using Akka.Actor;
using Coordinator.Actors.Steps;
using Coordinator.Connectors;
using Coordinator.Contracts;
using Coordinator.Kafka.Embedded;
using Coordinator.Kafka.IngressNode;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Hosting;
using Coordinator.Persistence.Sql.Sqlite;
using Coordinator.TestKit;

namespace Coordinator.Actors.Tests;

/// <summary>
/// Order entities fed by the real Kafka client over the embedded broker, charging a real payments
/// API through the supervised connector, journaling to a real SQLite file: a data failure parks
/// exactly its entity, its later records wait in order, and operators release it.
/// </summary>
public sealed class StepEntityTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-steps-").FullName;
    private readonly EmbeddedKafka _kafka = new();
    private PaymentsApi _api = null!;

    public async Task InitializeAsync()
    {
        _api = await PaymentsApi.StartAsync();
        _kafka.CreateTopic(Orders.Topic, partitions: 4);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public void Dispose()
    {
        _kafka.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string JournalPath => Path.Combine(_directory, "journal.db");

    /// <summary>A one-node Akka cluster with our SQLite journal plugin; <paramref name="name"/> tags its connector metrics.</summary>
    private Task<OrderNode> StartNodeAsync(string group, Action<ConnectorPolicy>? tune = null, string? name = null, int maxHeldRecords = 10_000)
    {
        var connectors = new Dictionary<string, IConnector> { ["payments"] = Orders.Payments(_api.BaseUrl, tune) };
        return OrderNode.StartAsync(_kafka.BootstrapServers, group, 4, new JournalLocation(JournalDatabase.Sqlite, JournalPath), new SqliteDeadLetterStore(new SqliteStorage(JournalPath)), connectors, maxHeldRecords, metricsName: name);
    }

    /// <summary>The highest offset <paramref name="group"/> committed on any partition of the order topic (the tests that use it put one key on it).</summary>
    private Task<long> CommittedAsync(string group) => Task.Run(() => Ledger.Committed(_kafka, group, Orders.Topic, 4).Max());

    private static async Task<StepView> WaitParkedAsync(OrderNode node, string order, int held)
    {
        StepsView? steps = null;
        await Eventually.TrueAsync(
            async () => (steps = await node.StepsAsync(order)) is { Active.Status: StepStatus.NeedsAttention } && steps.HeldRecords == held,
            $"order {order} parked with {held} records held (now: {steps})",
            Patience);
        return steps!.Active!;
    }

    private static Task WaitHistoryAsync(OrderNode node, string order, params string[] history)
    {
        OrderState? state = null;
        return Eventually.TrueAsync(
            async () => (state = await node.OrderAsync(order)).History.SequenceEqual(history),
            $"order {order} has history {string.Join(',', history)} (now: {(state is null ? "" : string.Join(',', state.History))})",
            Patience);
    }

    [Fact]
    public async Task IdempotencyKey_EntityAndEventIdsThatShareASlashJoin_GetTheirOwnCharges()
    {
        // Joined with '/' unescaped, entity 'a/b' with event 'c' and entity 'a' with event 'b/c'
        // would share the key 'a/b/c/charge', and the second would be answered with the first's outcome.
        using (var producer = Ledger.Producer(_kafka))
        {
            Orders.Place(producer, "a/b", "c", 100, "cus_1");
            Orders.Place(producer, "a", "b/c", 200, "cus_2");
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await using var node = await StartNodeAsync("slashes");

        await WaitHistoryAsync(node, "a/b", "placed:c", "charge:Succeeded");
        await WaitHistoryAsync(node, "a", "placed:b/c", "charge:Succeeded");
        Assert.Equal(2, _api.Effects.Distinct().Count());
        Assert.NotEqual((await node.OrderAsync("a/b")).ChargeId, (await node.OrderAsync("a")).ChargeId);
    }

    [Fact]
    public async Task ParkedStep_TokenFromTheEnvironmentInTheQuery_NeverReachesTheJournalOrTheLogs()
    {
        var variable = $"COORDINATOR_TEST_STEP_TOKEN_{Environment.ProcessId}";
        const string token = "tok_5e1f0b9c77d2";
        Environment.SetEnvironmentVariable(variable, token);
        _api.RejectCustomer = "cus_blocked";
        using (var producer = Ledger.Producer(_kafka))
        {
            Orders.Place(producer, "o-secret", "placed-s", 700, "cus_blocked");
            producer.Flush(TimeSpan.FromSeconds(30));
        }

        using var logs = new LogCapture();
        using var logging = logs.Factory();
        var akkaLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var storage = new SqliteStorage(JournalPath);
        var charge = Coordinator.Connectors.Http.DomainConnectors.Payments(new Coordinator.Connectors.Http.HttpConnectorOptions { BaseUrl = _api.BaseUrl }).Operations["charge"];
        charge.Path = $"/charges?key={{env:{variable}}}";
        var payments = new Coordinator.Connectors.Http.HttpConnector("payments", Coordinator.Connectors.Http.DomainConnectors.Payments(new Coordinator.Connectors.Http.HttpConnectorOptions
        {
            BaseUrl = _api.BaseUrl,
            Policy = new ConnectorPolicy { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50), RatePerSecond = 1_000 },
            Operations = { ["charge"] = charge },
        }));
        await using (var node = await OrderNode.StartAsync(_kafka.BootstrapServers, "secret", 4, new JournalLocation(JournalDatabase.Sqlite, JournalPath), new SqliteDeadLetterStore(storage), new Dictionary<string, IConnector> { ["payments"] = payments }, logging: logging, akkaLog: akkaLog))
        {
            var parked = await WaitParkedAsync(node, "o-secret", held: 0);
            Assert.Equal("http-422", parked.Failure!.Outcome);
            Assert.DoesNotContain(token, parked.Failure.Message, StringComparison.Ordinal);
        }

        var rows = await new SqliteJournalStore(storage).ReadAllAsync(0, 10_000);
        Assert.Contains(rows, r => r.Event.TypeName == "V1.StepParked");
        Assert.All(rows, r => Assert.DoesNotContain(token, System.Text.Encoding.UTF8.GetString(r.Event.Payload), StringComparison.Ordinal));
        Assert.Contains(akkaLog, line => line.Contains("needs attention", StringComparison.Ordinal)); // the parked step was logged (Akka's logging), with its message
        Assert.All(logs.Lines.Concat(akkaLog), line => Assert.DoesNotContain(token, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DataError_ParksExactlyOneEntity_WhileAThousandOthersComplete_RetryWithEditReleasesIt_AndItsHeldRecordsApplyInOrder()
    {
        _api.RejectCustomer = "cus_blocked";
        using (var producer = Ledger.Producer(_kafka))
        {
            for (var i = 0; i < 1_000; i++)
            {
                Orders.Place(producer, $"o-{i}", $"placed-{i}", 100 + i, $"cus_{i}");
                if (i == 10)
                {
                    Orders.Place(producer, "o-parked", "placed-x", 4_200, "cus_blocked");
                }

                if (i is 20 or 500 or 900)
                {
                    Orders.Note(producer, "o-parked", $"note-{i}", $"n{i}");
                }
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        using var meters = new MetricsCapture(ConnectorMetrics.MeterName, "park-node");
        await using var node = await StartNodeAsync("park", name: "park-node");

        // The one parked: needs attention with the error, the input and the fix; three records held behind it.
        var parked = await WaitParkedAsync(node, "o-parked", held: 3);
        Assert.Equal(("charge", "payments", "charge", FailureClass.Data, "http-422", 422), (parked.Step, parked.Connector, parked.Operation, parked.Failure!.Class, parked.Failure.Outcome, parked.Failure.Status));
        Assert.Equal("cus_blocked", (string?)parked.Input["customer"]);
        Assert.False(string.IsNullOrWhiteSpace(parked.Failure.Fix));
        Assert.Equal(ConnectorRequest.KeyFor("o-parked", "placed-x/charge"), parked.IdempotencyKey);

        // The other thousand went on: each charged once, and every partition committed to its end,
        // the parked entity's partition included (its held records are journaled).
        OrderState[] states = [];
        await Eventually.TrueAsync(
            async () => (states = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => node.OrderAsync($"o-{i}")))).All(s => s.History.Count == 2),
            "1,000 orders concluded their charge",
            Patience);
        Assert.All(states, s => Assert.Equal([$"placed:placed-{s.Id[2..]}", "charge:Succeeded"], s.History));
        Assert.Equal(1_000, _api.Effects.Count);
        Assert.All(states, s => Assert.NotNull(s.ChargeId));
        await Ledger.WaitCommittedToEndAsync(_kafka, "park", Orders.Topic, 4, TimeSpan.FromSeconds(30));
        Assert.Equal(["placed:placed-x"], (await node.OrderAsync("o-parked")).History);
        Assert.Equal(1, _api.CallsFor(parked.IdempotencyKey)); // a 422 is not retried

        // Commands that name the wrong step, or no operator, change nothing.
        Assert.IsType<StepCommandRejected>(await node.CommandAsync("o-parked", new SkipStep("o-parked/other/charge", "alice", "wrong key")));
        Assert.IsType<StepCommandRejected>(await node.CommandAsync("o-parked", new SkipStep(parked.IdempotencyKey, " ", "no operator")));
        Assert.IsType<StepCommandRejected>(await node.CommandAsync("o-1", new SkipStep(ConnectorRequest.KeyFor("o-1", "placed-1/charge"), "alice", "not parked")));
        Assert.Equal(StepStatus.NeedsAttention, (await node.StepsAsync("o-parked")).Active?.Status);

        // Retry with the input edited: a new key, one effect, and the held records apply in order.
        var accepted = Assert.IsType<StepCommandAccepted>(await node.CommandAsync("o-parked", new RetryStep(parked.IdempotencyKey, new JsonObject { ["customer"] = "cus_unblocked" }, "alice", "finance unblocked the customer")));
        Assert.Equal($"{parked.IdempotencyKey}#2", accepted.NextKey);
        await WaitHistoryAsync(node, "o-parked", "placed:placed-x", "charge:Succeeded", "noted:n20", "noted:n500", "noted:n900");
        Assert.Equal(new StepsView("o-parked", null, 0), await node.StepsAsync("o-parked"));
        Assert.Equal(1, _api.CallsFor(accepted.NextKey!));
        Assert.Equal(1_001, _api.Effects.Count);
        Assert.Equal(1_001, _api.Effects.Distinct().Count());

        // Audited: the resolution is journaled as the operator's, with the edited input and the reason.
        var journal = new SqliteJournalStore(new SqliteStorage(JournalPath));
        var rows = await journal.ReadEventsAsync("order-o-parked", 1, long.MaxValue).ToListAsync();
        var resolvedRow = Assert.Single(rows, r => r.Event.TypeName == "V1.StepResolved");
        Assert.Equal(Actor.Operator("alice"), resolvedRow.Metadata.CausedBy);
        var resolved = (StepResolved)new EventTypeRegistry().AddSteps().Deserialize(resolvedRow.Event.TypeName, resolvedRow.Event.Payload);
        Assert.Equal((StepResolution.Retried, "cus_unblocked", "finance unblocked the customer"), (resolved.Resolution, (string?)resolved.Input!["customer"], resolved.Reason));
        Assert.Equal(4_200, (long?)resolved.Input["amount"]);
        Assert.Equal(1, meters.Sum("coordinator.connectors.manual_fallbacks", ("connector", "payments"), ("resolution", "Retried")));
        Assert.Equal(1, meters.Sum("coordinator.connectors.failed", ("connector", "payments"), ("class", "Data")));
        Assert.Equal(1, meters.Sum("coordinator.connectors.steps_parked", ("connector", "payments"), ("outcome", "http-422")));
        Assert.Equal(1_001, meters.Sum("coordinator.connectors.steps_concluded", ("connector", "payments"), ("resolution", "Succeeded")));
    }

    [Fact]
    public async Task BeyondMaxHeldRecords_FurtherRecordsWaitUnjournaled_HoldingBackTheirPartition_AndNothingIsLostOrReordered()
    {
        _api.RejectCustomer = "cus_blocked";
        using (var producer = Ledger.Producer(_kafka))
        {
            Orders.Place(producer, "full", "placed-full", 10, "cus_blocked");
            for (var i = 1; i <= 5; i++)
            {
                Orders.Note(producer, "full", $"note-full-{i}", $"n{i}");
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        await using var node = await StartNodeAsync("held", maxHeldRecords: 2);
        var parked = await WaitParkedAsync(node, "full", held: 5);

        // Two are journaled behind the step; three wait unjournaled, so their offsets are not committed.
        var journal = new SqliteJournalStore(new SqliteStorage(JournalPath));
        var applied = await journal.ReadEventsAsync("order-full", 1, long.MaxValue).CountAsync(r => r.Event.TypeName == "V1.IngressApplied");
        Assert.Equal(3, applied);
        await Eventually.TrueAsync(async () => await CommittedAsync("held") == 3, "the offsets of the journaled records (0-2) are committed", Patience);
        Assert.Equal(3, node.Ingress.InFlight);

        Assert.IsType<StepCommandAccepted>(await node.CommandAsync("full", new SkipStep(parked.IdempotencyKey, "carol", "charged elsewhere")));
        await WaitHistoryAsync(node, "full", "placed:placed-full", "charge:Skipped", "noted:n1", "noted:n2", "noted:n3", "noted:n4", "noted:n5");
        await Eventually.TrueAsync(async () => await CommittedAsync("held") == 6, "all six offsets are committed", Patience);
        Assert.Equal(0, node.Ingress.InFlight);
    }

    [Fact]
    public async Task SkipCancelAndManualResolution_EachReleaseTheirEntity_AsTheyShould_AndParkingSurvivesARestart()
    {
        _api.RejectCustomer = "cus_blocked";
        string[] orders = ["skip", "cancel", "manual"];
        using (var producer = Ledger.Producer(_kafka))
        {
            foreach (var order in orders)
            {
                Orders.Place(producer, order, $"placed-{order}", 10, "cus_blocked");
                Orders.Note(producer, order, $"note-{order}", "after");
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var keys = new Dictionary<string, string>();
        await using (var first = await StartNodeAsync("resolve"))
        {
            foreach (var order in orders)
            {
                keys[order] = (await WaitParkedAsync(first, order, held: 1)).IdempotencyKey;
            }
        }

        // A new node finds them still parked, records still held, nothing called again.
        await using var node = await StartNodeAsync("resolve");
        foreach (var order in orders)
        {
            Assert.Equal(keys[order], (await WaitParkedAsync(node, order, held: 1)).IdempotencyKey);
            Assert.Equal(1, _api.CallsFor(keys[order]));
        }

        Assert.IsType<StepCommandAccepted>(await node.CommandAsync("skip", new SkipStep(keys["skip"], "bob", "charged elsewhere")));
        Assert.IsType<StepCommandAccepted>(await node.CommandAsync("cancel", new CancelStep(keys["cancel"], "bob", "customer withdrew")));
        Assert.IsType<StepCommandAccepted>(await node.CommandAsync("manual", new ResolveStepManually(keys["manual"], new JsonObject { ["id"] = "ch_by_phone" }, "bob", "taken by phone")));

        await WaitHistoryAsync(node, "skip", "placed:placed-skip", "charge:Skipped", "noted:after");
        await WaitHistoryAsync(node, "cancel", "placed:placed-cancel", "charge:Cancelled", "noted:after");
        await WaitHistoryAsync(node, "manual", "placed:placed-manual", "charge:ResolvedManually", "noted:after");
        Assert.Equal("ch_by_phone", (await node.OrderAsync("manual")).ChargeId);
        Assert.Empty(_api.Effects);

        // A second command on a released step is refused.
        Assert.IsType<StepCommandRejected>(await node.CommandAsync("skip", new SkipStep(keys["skip"], "bob", "again")));
    }

    [Fact]
    public async Task CircuitOpen_StepsWaitQueued_WorkWithoutTheConnectorGoesOn_ARestartKeepsThem_AndEachTakesEffectOnceAfterRecovery()
    {
        static void Tune(ConnectorPolicy p)
        {
            p.MaxAttempts = 2;
            p.CircuitFailureThreshold = 3;
            p.BreakDuration = TimeSpan.FromMilliseconds(300);
            p.DrainPerSecond = 200;
        }

        _api.Down = true;
        var orders = Enumerable.Range(1, 5).Select(i => $"c-{i}").ToList();
        using (var producer = Ledger.Producer(_kafka))
        {
            foreach (var order in orders)
            {
                Orders.Place(producer, order, $"placed-{order}", 25, "cus_ok");
            }

            for (var i = 1; i <= 3; i++)
            {
                Orders.Note(producer, "notes-only", $"note-{i}", $"n{i}");
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        async Task AllQueuedAsync(OrderNode node)
        {
            foreach (var order in orders)
            {
                await Eventually.TrueAsync(async () => (await node.StepsAsync(order)).Active?.Status == StepStatus.Queued, $"{order}'s charge is queued behind the open circuit", Patience);
            }
        }

        using (var firstMeters = new MetricsCapture(ConnectorMetrics.MeterName, "circuit-first"))
        await using (var first = await StartNodeAsync("circuit", Tune, "circuit-first"))
        {
            await AllQueuedAsync(first);
            await Eventually.TrueAsync(() => firstMeters.Sum("coordinator.connectors.attempts_failed", ("connector", "payments"), ("class", "Transient"), ("outcome", "http-503")) >= 1, "failed attempts are counted by class and outcome", Patience);
            await WaitHistoryAsync(first, "notes-only", "noted:n1", "noted:n2", "noted:n3"); // needs no connector: goes on
            var circuit = await first.Connectors.Supervisor("payments")!.Ask<CircuitView>(GetCircuit.Instance, Patience);
            Assert.NotEqual(CircuitState.Closed, circuit.State);
        }

        // A restart while the system is still down keeps every step queued, none failed, none parked.
        using var meters = new MetricsCapture(ConnectorMetrics.MeterName, "circuit-second");
        await using var node = await StartNodeAsync("circuit", Tune, "circuit-second");
        await AllQueuedAsync(node);
        Assert.Empty(_api.Effects);
        Assert.Equal(5, meters.Last("coordinator.connectors.queue_depth", ("connector", "payments")));

        _api.Down = false;
        foreach (var order in orders)
        {
            await WaitHistoryAsync(node, order, $"placed:placed-{order}", "charge:Succeeded");
        }

        Assert.Equal(orders.Select(o => ConnectorRequest.KeyFor(o, $"placed-{o}/charge")).Order(), _api.Effects.Order());
        Assert.Equal(CircuitState.Closed, (await node.Connectors.Supervisor("payments")!.Ask<CircuitView>(GetCircuit.Instance, Patience)).State);
        Assert.Equal(1, meters.Count("coordinator.connectors.time_to_recovery", ("connector", "payments")));
        Assert.Equal(0, meters.Last("coordinator.connectors.queue_depth", ("connector", "payments")));
    }
}
