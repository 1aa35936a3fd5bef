using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Coordinator.Connectors.Http;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;
using Coordinator.Persistence.Serialization;
using Coordinator.Persistence.Sql.Sqlite;
using Coordinator.TestKit;
using Xunit.Abstractions;

namespace Coordinator.Connectors.Tests;

/// <summary>The connector supervisor on Akka.NET against a real HTTP server, with a real SQLite journal and every message serialized as if it crossed nodes.</summary>
public sealed class SupervisorTests(ITestOutputHelper output) : ConnectorTestKit(output)
{
    [Fact]
    public async Task TransientErrors_AreRetried_ThenSucceed_AndTheEffectIsReadBack()
    {
        var payments = await StartAsync(Policy());
        Api.FailNext(2, 503);

        var reply = await AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-1", 1250)));

        Assert.Equal(3, reply.Attempts);
        Assert.True(reply.Verified);
        Assert.Equal("succeeded", (string?)reply.Output["status"]);
        Assert.Equal(3, Api.CallsFor("case-1/charge"));
        Assert.Equal(["case-1/charge"], Api.Effects);
        Assert.Equal(2, Metrics.Retries);
    }

    [Fact]
    public async Task TooManyRequests_HonoursRetryAfter()
    {
        var time = new RecordingTime();
        var policy = Policy();
        var payments = await StartAsync(policy, time);
        Api.FailNext(1, 429, retryAfter: TimeSpan.FromSeconds(1));

        var reply = AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-429", 10)));

        // The retry waits Retry-After (1 s, not the 5 ms backoff) plus at most BaseDelay of jitter, on the supervisor's clock.
        var wait = await time.NextOneShotAsync();
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) + policy.BaseDelay);
        time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.Equal(1, Api.CallsFor("case-429/charge")); // its timer is not due yet, so no retry can be under way
        time.Advance(policy.BaseDelay + TimeSpan.FromTicks(1));
        Assert.Equal(2, (await reply.WaitAsync(Patience)).Attempts);
        Assert.Equal(2, Api.CallsFor("case-429/charge"));
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterBeyondMaxRetryAfter_WaitsOnlyMaxRetryAfter()
    {
        var time = new RecordingTime();
        var policy = Policy();
        policy.MaxRetryAfter = TimeSpan.FromSeconds(2);
        var payments = await StartAsync(policy, time);
        Api.FailNext(1, 429, retryAfter: TimeSpan.FromHours(1));

        var reply = AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-429-long", 10)));

        Assert.Equal(policy.MaxRetryAfter, await time.NextOneShotAsync());
        time.Advance(policy.MaxRetryAfter - TimeSpan.FromTicks(1));
        Assert.Equal(1, Api.CallsFor("case-429-long/charge"));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(2, (await reply.WaitAsync(Patience)).Attempts);
    }

    [Fact]
    public async Task Failure_TokenFromTheEnvironmentInThePathAndQuery_NeverReachesTheJournalOrTheLogs()
    {
        var variable = $"COORDINATOR_TEST_TOKEN_{Environment.ProcessId}";
        const string token = "tok_9d2e7c41aa5b";
        Environment.SetEnvironmentVariable(variable, token);
        var logs = CreateTestProbe();
        Sys.EventStream.Subscribe(logs.Ref, typeof(LogEvent));
        // The system rejects the call and echoes the URL it was sent, as many do.
        using var handler = new ScriptedHandler(request => new HttpResponseMessage(System.Net.HttpStatusCode.UnprocessableEntity)
        {
            Content = new StringContent($$"""{"error":"unknown account","request":"{{request.RequestUri}}"}"""),
        });
        var connector = new HttpConnector("payments", new HttpConnectorOptions
        {
            BaseUrl = "https://payments.example.com/v1",
            Policy = Policy(),
            Operations = { ["charge"] = new HttpOperation { Path = $"/accounts/{{env:{variable}}}/charges?key={{env:{variable}}}", Body = """{"amount":"{input.amount}"}""" } },
        }, handler);
        var payments = await StartAsync(Policy(), connector: connector);

        var failed = await AskAsync<ActionFailed>(payments, new Execute(Charge("case-secret", 10)));

        Assert.Equal((FailureClass.Data, "http-422"), (failed.Class, failed.Outcome));
        Assert.DoesNotContain(token, failed.Message, StringComparison.Ordinal);
        await StopAsync();
        var rows = await new SqliteJournalStore(new SqliteStorage(JournalPath)).ReadAllAsync(0, 1_000);
        Assert.Contains(rows, r => r.Event.TypeName == "V1.ConnectorActionCompleted");
        Assert.All(rows, r => Assert.DoesNotContain(token, System.Text.Encoding.UTF8.GetString(r.Event.Payload), StringComparison.Ordinal));
        var lines = logs.ReceiveWhile(TimeSpan.FromMilliseconds(200), m => m is LogEvent e ? $"{e.Message} {e.Cause}" : null);
        Assert.All(lines, line => Assert.DoesNotContain(token, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SlowServer_TimesOut_IsRetried_AndWhenRetriesAreExhausted_GoesToTheLaneThePolicyNames()
    {
        var policy = Policy(maxAttempts: 3);
        policy.Timeout = TimeSpan.FromMilliseconds(200);
        policy.WhenRetriesExhausted = FailureClass.Data;
        var payments = await StartAsync(policy);
        Api.Delay = TimeSpan.FromSeconds(5);

        var reply = await AskAsync<ActionFailed>(payments, new Execute(Charge("case-slow", 10)));

        Assert.Equal((FailureClass.Data, "timeout"), (reply.Class, reply.Outcome));
        Assert.Contains("after 3 attempts", reply.Message, StringComparison.Ordinal);
        Assert.Equal(3, Api.CallsFor("case-slow/charge"));
        Assert.Equal(2, Metrics.Retries);
        Assert.Equal(CircuitState.Closed, (await AskAsync<CircuitView>(payments, GetCircuit.Instance)).State);
    }

    [Fact]
    public async Task DataError_IsNotRetried_AndNamesTheFix()
    {
        var payments = await StartAsync(Policy());
        Api.RejectCustomer = "cus_blocked";

        var reply = await AskAsync<ActionFailed>(payments, new Execute(Charge("case-2", 500, "cus_blocked")));

        Assert.Equal(FailureClass.Data, reply.Class);
        Assert.Equal("http-422", reply.Outcome);
        Assert.Equal(422, reply.Status);
        Assert.Contains("customer is blocked", reply.Message, StringComparison.Ordinal);
        Assert.Contains("correct the step's input", reply.Fix, StringComparison.Ordinal);
        Assert.Equal(1, Api.CallsFor("case-2/charge"));
        Assert.Empty(Api.Effects);
    }

    [Fact]
    public async Task MissingInput_IsADataErrorNamingTheField_WithoutACall()
    {
        var payments = await StartAsync(Policy());
        var request = new ConnectorRequest("payments", "charge", "case-3/charge", "case-3", new JsonObject { ["amount"] = 5, ["currency"] = "EUR" });

        var reply = await AskAsync<ActionFailed>(payments, new Execute(request));

        Assert.Equal(FailureClass.Data, reply.Class);
        Assert.Equal("contract", reply.Outcome);
        Assert.Contains("{input.customer}", reply.Message, StringComparison.Ordinal);
        Assert.Contains("add 'customer' to the step's input", reply.Fix, StringComparison.Ordinal);
        Assert.Equal(0, Api.CallsFor("case-3/charge"));
    }

    [Fact]
    public async Task VerificationMismatch_IsADataError()
    {
        var payments = await StartAsync(Policy());
        Api.ReadBackAmount = "999";

        var reply = await AskAsync<ActionFailed>(payments, new Execute(Charge("case-4", 100)));

        Assert.Equal(FailureClass.Data, reply.Class);
        Assert.Equal("verify-mismatch", reply.Outcome);
        Assert.Contains("'amount' is '999', expected '100'", reply.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameKeyRequestedAgain_TakesEffectOnce_AndIsAnsweredFromTheOutbox()
    {
        var payments = await StartAsync(Policy());
        Api.Delay = TimeSpan.FromMilliseconds(200);
        var first = AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-5", 70)));
        var concurrent = AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-5", 70)));
        var (a, b) = (await first, await concurrent);
        var later = await AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-5", 70)));

        Assert.Equal((string?)a.Output["id"], (string?)b.Output["id"]);
        Assert.Equal((string?)a.Output["id"], (string?)later.Output["id"]);
        Assert.Equal(1, Api.CallsFor("case-5/charge"));
        Assert.Equal(2, Metrics.DuplicatesPrevented);

        // The outbox survives a restart: the same key is answered without a call.
        payments = await StartAsync(Policy());
        var afterRestart = await AskAsync<ActionSucceeded>(payments, new Execute(Charge("case-5", 70)));
        Assert.Equal((string?)a.Output["id"], (string?)afterRestart.Output["id"]);
        Assert.Equal(1, Api.CallsFor("case-5/charge"));
    }

    [Fact]
    public async Task CircuitOpens_ActionsQueueDurably_SurviveARestart_AndDrainInOrderOnce()
    {
        var policy = Policy(maxAttempts: 2, threshold: 3);
        var payments = await StartAsync(policy);
        Api.Down = true;
        var probe = CreateTestProbe();
        var keys = Enumerable.Range(1, 10).Select(i => $"queued-{i}/charge").ToList();
        for (var i = 1; i <= 10; i++)
        {
            payments.Tell(new Execute(Charge($"queued-{i}", i)), probe.Ref);
        }

        // Every action is acknowledged as queued, none failed.
        var queued = new HashSet<string>();
        while (queued.Count < 10)
        {
            queued.Add((await probe.ExpectMsgAsync<ActionQueued>(Patience)).IdempotencyKey);
        }

        var circuit = await AskAsync<CircuitView>(payments, GetCircuit.Instance);
        Assert.NotEqual(CircuitState.Closed, circuit.State);
        Assert.Equal(1, circuit.Opened);
        Assert.Empty(Api.Effects);

        // A restart while open keeps the queue, in order.
        payments = await StartAsync(policy);
        var queue = await AskAsync<QueueView>(payments, GetQueue.Instance);
        Assert.Equal(keys, queue.Actions.Select(a => a.IdempotencyKey));

        // Recovery: the probe succeeds, the circuit closes, the queue drains in order, once each.
        Api.Down = false;
        await Eventually.TrueAsync(() => Api.Effects.Count == 10, "the queue to drain", Patience);
        Assert.Equal(keys, Api.Effects);
        await Eventually.TrueAsync(async () => (await AskAsync<QueueView>(payments, GetQueue.Instance)).Actions.Count == 0, "every action to complete", Patience);
        circuit = await AskAsync<CircuitView>(payments, GetCircuit.Instance);
        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.NotNull(circuit.LastTimeToRecovery);
        Assert.Equal(1, circuit.Opened); // failed probes re-open the same opening

        // The callers' replays after their own restarts are answered from the outbox.
        var again = await AskAsync<ActionSucceeded>(payments, new Execute(Charge("queued-3", 3)));
        Assert.True(again.Verified);
        Assert.All(keys, k => Assert.Equal(1, Api.Effects.Count(e => e == k)));

        // Every transition recovery needs is journaled: opened, then half-open probes (failed ones re-open), then closed.
        var types = JournalRows().Select(r => r.Type).Where(t => t.Contains("Circuit", StringComparison.Ordinal) || t.Contains("Probe", StringComparison.Ordinal)).ToList();
        Assert.Equal("V1.ConnectorCircuitOpened", types[0]);
        Assert.Equal("V1.ConnectorCircuitClosed", types[^1]);
        Assert.Equal("V1.ConnectorCircuitHalfOpened", types[^2]);
        Assert.Equal(types.Count(t => t == "V1.ConnectorProbeFailed") + 1, types.Count(t => t == "V1.ConnectorCircuitHalfOpened"));
    }

    [Fact]
    public async Task Snapshots_CarryTheOutboxTheQueueAndTheCircuit_SoRecoveryNeedsNoOlderEvents()
    {
        var policy = Policy(maxAttempts: 1, threshold: 1);
        policy.SnapshotEvery = 10;
        policy.BreakDuration = TimeSpan.FromHours(1); // no probe: the queue stays as it is until drained
        var payments = await StartAsync(policy);
        for (var i = 1; i <= 10; i++)
        {
            await AskAsync<ActionSucceeded>(payments, new Execute(Charge($"snap-{i}", i))); // 20 events
        }

        Api.Down = true;
        var probe = CreateTestProbe();
        var queuedKeys = Enumerable.Range(1, 9).Select(i => $"held-{i}/charge").ToList();
        for (var i = 1; i <= 9; i++)
        {
            payments.Tell(new Execute(Charge($"held-{i}", 100 + i)), probe.Ref); // 9 accepted + 1 opened: 30 events
            await probe.ExpectMsgAsync<ActionQueued>(Patience);
        }

        // The snapshot at event 30 holds everything; the events before it are deleted.
        var storage = new SqliteStorage(JournalPath);
        StoredSnapshot? snapshot = null;
        await Eventually.TrueAsync(async () => (snapshot = await new SqliteSnapshots(storage).LoadLatestAsync("connector-payments")) is { SequenceNr: 30 }, "a snapshot at event 30", Patience);
        await StopAsync();
        await new SqliteJournalStore(storage).DeleteEventsToAsync("connector-payments", snapshot!.SequenceNr);

        payments = await StartAsync(policy);
        var circuit = await AskAsync<CircuitView>(payments, GetCircuit.Instance);
        Assert.Equal((CircuitState.Open, 1, 9), (circuit.State, circuit.Opened, circuit.QueueDepth));
        Assert.Equal(queuedKeys, (await AskAsync<QueueView>(payments, GetQueue.Instance)).Actions.Select(a => a.IdempotencyKey));
        var replayed = await AskAsync<ActionSucceeded>(payments, new Execute(Charge("snap-4", 4)));
        Assert.Equal(1, Api.CallsFor("snap-4/charge")); // answered from the snapshot's outbox
        Assert.True(replayed.Verified);

        Api.Down = false;
        await AskAsync<CircuitView>(payments, new DrainQueue("dora"));
        await Eventually.TrueAsync(() => Api.Effects.Count == 19, "the queue to drain", Patience);
        Assert.Equal(queuedKeys, Api.Effects.Skip(10));
    }

    [Fact]
    public async Task Operators_ReorderTheQueue_AndDrainItNow_BothAudited()
    {
        var policy = Policy(maxAttempts: 1, threshold: 1);
        policy.BreakDuration = TimeSpan.FromMinutes(10);
        var payments = await StartAsync(policy);
        Api.Down = true;
        var probe = CreateTestProbe();
        for (var i = 1; i <= 4; i++)
        {
            payments.Tell(new Execute(Charge($"op-{i}", i)), probe.Ref);
        }

        await Eventually.TrueAsync(async () => await AskAsync<CircuitView>(payments, GetCircuit.Instance) is { State: CircuitState.Open, QueueDepth: 4 }, "the circuit open with 4 queued", Patience);
        var reordered = await AskAsync<QueueView>(payments, new ReorderQueue(["op-4/charge", "op-2/charge"], "alice"));
        Assert.Equal(["op-4/charge", "op-2/charge", "op-1/charge", "op-3/charge"], reordered.Actions.Select(a => a.IdempotencyKey));

        Api.Down = false;
        await AskAsync<CircuitView>(payments, new DrainQueue("alice")); // without waiting out the 10-minute break
        await Eventually.TrueAsync(() => Api.Effects.Count == 4, "the queue to drain", Patience);
        Assert.Equal(["op-4/charge", "op-2/charge", "op-1/charge", "op-3/charge"], Api.Effects);

        // Both operator actions are audited: journaled with who did them (caused_by), the rest by the system.
        var rows = JournalRows();
        Assert.Contains(("V1.ConnectorQueueReordered", "operator:alice"), rows);
        Assert.Contains(("V1.ConnectorDrainRequested", "operator:alice"), rows);
        Assert.All(rows.Where(r => !r.Type.Contains("Queue", StringComparison.Ordinal) && !r.Type.Contains("Drain", StringComparison.Ordinal)), r => Assert.Equal("system", r.CausedBy));
        Assert.Single(rows, r => r.Type == "V1.ConnectorCircuitOpened");
        Assert.Single(rows, r => r.Type == "V1.ConnectorCircuitClosed");

        // The reordered queue is what recovery rebuilds.
        payments = await StartAsync(policy);
        Assert.Empty((await AskAsync<QueueView>(payments, GetQueue.Instance)).Actions);
    }

    [Fact]
    public async Task Outbox_UnacknowledgedOutcomeBeyondTheWindow_IsNeverEvicted_AndARepeatOfItsKeyIsAnsweredWithoutASecondCall()
    {
        var policy = Policy();
        policy.OutboxWindow = 3;
        policy.SnapshotEvery = 10;
        var payments = await StartAsync(policy);
        var entity = CreateTestProbe();
        async Task CompletedAsync() => await Eventually.TrueAsync(async () => (await AskAsync<QueueView>(payments, GetQueue.Instance)).Actions.Count == 0, "the action's outcome to be journaled", Patience);

        // An outcome its entity has not acknowledged (its route is not on this node, so it stays undelivered).
        var waiting = Charge("waiting", 5) with { ReplyTo = "orders/waiting" };
        payments.Tell(new Execute(waiting), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        await CompletedAsync();

        // One acknowledged by its entity, then four whose callers were answered directly: five acknowledged, window 3.
        var acked = Charge("acked", 6) with { ReplyTo = "orders/acked" };
        payments.Tell(new Execute(acked), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        await CompletedAsync();
        payments.Tell(new ActionOutcomeReceived(acked.IdempotencyKey), entity.Ref);
        for (var i = 1; i <= 4; i++)
        {
            await AskAsync<ActionSucceeded>(payments, new Execute(Charge($"plain-{i}", i)));
        }

        // The entity recovers and asks again: answered from the outbox, no second call.
        payments.Tell(new Execute(waiting), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        Assert.Equal(waiting.IdempotencyKey, (await entity.ExpectMsgAsync<ActionSucceeded>(Patience)).IdempotencyKey);
        Assert.Equal(1, Api.CallsFor(waiting.IdempotencyKey));

        // Acknowledged outcomes within the window are answered without a call; one evicted from it is
        // called again under the same Idempotency-Key (as documented), which this system honours: one effect.
        await AskAsync<ActionSucceeded>(payments, new Execute(Charge("plain-4", 4)));
        Assert.Equal(1, Api.CallsFor("plain-4/charge"));
        await AskAsync<ActionSucceeded>(payments, new Execute(Charge("plain-1", 1)));
        Assert.Equal(2, Api.CallsFor("plain-1/charge"));
        Assert.Single(Api.Effects, e => e == "plain-1/charge");

        // The snapshot keeps the unacknowledged outcome: with the events before it deleted, a repeat is still answered.
        var storage = new SqliteStorage(JournalPath);
        StoredSnapshot? snapshot = null;
        await Eventually.TrueAsync(async () => (snapshot = await new SqliteSnapshots(storage).LoadLatestAsync("connector-payments")) is { SequenceNr: >= 10 }, "a snapshot", Patience);
        await StopAsync();
        await new SqliteJournalStore(storage).DeleteEventsToAsync("connector-payments", snapshot!.SequenceNr);
        payments = await StartAsync(policy);
        entity = CreateTestProbe();
        payments.Tell(new Execute(waiting), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        Assert.Equal(waiting.IdempotencyKey, (await entity.ExpectMsgAsync<ActionSucceeded>(Patience)).IdempotencyKey);
        Assert.Equal(1, Api.CallsFor(waiting.IdempotencyKey));
    }

    [Fact]
    public async Task Delivery_OutcomeGoesToTheEntityThroughItsRegion_AgainUntilAcknowledged_AndAnAcknowledgementSurvivesARestart()
    {
        var policy = Policy();
        policy.RedeliverAfter = TimeSpan.FromMilliseconds(200);
        var region = CreateTestProbe();
        var routes = new Dictionary<string, IActorRef> { ["orders"] = region.Ref };
        var payments = await StartAsync(policy, routes: routes);
        var entity = CreateTestProbe();
        var first = Charge("o-1", 10) with { ReplyTo = "orders/o-1" };
        var second = Charge("o-2", 20) with { ReplyTo = "orders/o-2" };

        payments.Tell(new Execute(first), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        var envelope = await region.ExpectMsgAsync<ShardingEnvelope>(Patience);
        Assert.Equal("o-1", envelope.EntityId);
        Assert.Equal(first.IdempotencyKey, Assert.IsType<ActionSucceeded>(envelope.Message).IdempotencyKey);

        // Not acknowledged: delivered again after RedeliverAfter.
        Assert.Equal("o-1", (await region.ExpectMsgAsync<ShardingEnvelope>(Patience)).EntityId);
        payments.Tell(new ActionOutcomeReceived(first.IdempotencyKey), entity.Ref);
        payments.Tell(new Execute(second), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        await region.FishForMessageAsync(m => m is ShardingEnvelope { EntityId: "o-2" }, Patience);

        // A new incarnation delivers what is unacknowledged (o-2) and never what was (o-1).
        payments = await StartAsync(policy, routes: routes);
        await region.FishForMessageAsync(m => m is ShardingEnvelope { EntityId: "o-2" }, Patience);
        payments.Tell(new ActionOutcomeReceived(second.IdempotencyKey), entity.Ref);
        await AskAsync<QueueView>(payments, GetQueue.Instance); // the acknowledgement is in the mailbox before this
        var after = region.ReceiveWhile(policy.RedeliverAfter * 3, m => m as ShardingEnvelope);
        Assert.DoesNotContain(after, e => e!.EntityId == "o-1");
        Assert.Equal(2, JournalRows().Count(r => r.Type == "V1.ConnectorActionDelivered"));
        Assert.Equal(2, Api.Effects.Count);
    }

    [Fact]
    public async Task ConnectorsExtension_StartsEachConnectorUnderABackoffSupervisor_DeliversThroughAnAddedRoute_AndStartsOncePerSystem()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var connectors = ConnectorsExtension.Start(Sys, new Dictionary<string, IConnector> { ["payments"] = Payments(Policy()) }, time: time);
        var region = CreateTestProbe();
        connectors.AddRoute("orders", region.Ref);

        Assert.Same(connectors, ConnectorsExtension.Find(Sys));
        Assert.Equal(["payments"], connectors.Names);
        Assert.Same(time, connectors.Time);
        Assert.Null(connectors.Supervisor("crm"));
        var payments = connectors.Supervisor("payments")!;
        Assert.Equal("/user/connector-payments", payments.Path.ToStringWithoutAddress());
        Assert.Throws<InvalidOperationException>(() => ConnectorsExtension.Start(Sys, new Dictionary<string, IConnector>()));
        Assert.Throws<ArgumentException>(() => connectors.AddRoute("orders/x", region.Ref));

        var entity = CreateTestProbe();
        payments.Tell(new Execute(Charge("via-route", 5) with { ReplyTo = "orders/via-route" }), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(Patience);
        var envelope = await region.ExpectMsgAsync<ShardingEnvelope>(Patience);
        Assert.Equal("via-route", envelope.EntityId);
        Assert.True(Assert.IsType<ActionSucceeded>(envelope.Message).Verified);
        var circuit = await AskAsync<CircuitView>(payments, GetCircuit.Instance);
        Assert.Equal((CircuitState.Closed, time.GetUtcNow()), (circuit.State, circuit.Since)); // closed since it started, on the extension's clock
    }

    [Fact]
    public async Task Rate_StartsATicksWorthAtOnce_ThenWaitsForTheClock()
    {
        // Clock frozen: at 1,000 calls/s one scheduler tick (10 ms) is worth 10 starts; the rest
        // wait for time to pass. (One start per 1/rate seconds, waited out on Akka's 10 ms timer
        // wheel, held any rate near 100 starts/s.)
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var policy = Policy();
        policy.RatePerSecond = 1_000;
        policy.MaxConcurrentCalls = 100;
        var payments = await StartAsync(policy, time);
        var replies = Enumerable.Range(0, 30).Select(i => AskAsync<ActionSucceeded>(payments, new Execute(Charge($"rate-{i}", 10 + i)))).ToList();

        await Eventually.TrueAsync(() => Api.Effects.Count == 10, "ten calls in the first tick", Patience);
        await Task.Delay(300); // real time passes; the fake clock does not: nothing more may start
        Assert.Equal(10, Api.Effects.Count);

        time.Advance(TimeSpan.FromMilliseconds(10));
        await Eventually.TrueAsync(() => Api.Effects.Count == 20, "ten more once 10 ms have passed", Patience);
        time.Advance(TimeSpan.FromMilliseconds(10));
        await Task.WhenAll(replies);
        Assert.Equal(30, Api.Effects.Distinct().Count());
    }

    [Fact]
    public void Protocol_EveryMessage_GoesThroughTheCoordinatorSerializer_AndRoundTrips()
    {
        var request = Charge("wire", 1) with { ReplyTo = "orders/wire" };
        object[] messages =
        [
            new Execute(request), new ActionAccepted("k"), new ActionQueued("k", 2), new ActionSucceeded("k", 200, new JsonObject { ["id"] = "ch_1" }, true, 1),
            new ActionFailed("k", FailureClass.Data, "http-422", "no", "fix it", 422), new ActionOutcomeReceived("k"), GetQueue.Instance, new QueueView("payments", [request]),
            new ReorderQueue(["k"], "alice"), new DrainQueue("alice"), GetCircuit.Instance, new CircuitView("payments", CircuitState.HalfOpen, DateTimeOffset.UnixEpoch, 1, TimeSpan.FromSeconds(3), 2, 1),
            new ConnectorCircuitHalfOpened(DateTimeOffset.UnixEpoch), new ConnectorProbeFailed(DateTimeOffset.UnixEpoch, "http-503", "down"),
        ];
        var serialization = Sys.Serialization;
        foreach (var message in messages)
        {
            var serializer = serialization.FindSerializerFor(message);
            Assert.IsType<CoordinatorSerializer>(serializer);
            var manifest = ((CoordinatorSerializer)serializer).Manifest(message);
            var back = serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
            Assert.Equal(message.GetType(), back.GetType());
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(message, message.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
        }
    }
}
