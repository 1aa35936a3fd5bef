using System.Text.Json.Nodes;
using Coordinator.Actors.Supervision;
using Coordinator.Connectors.Http;
using Coordinator.Contracts;
using Coordinator.Persistence.Sql.Sqlite;
using Microsoft.Extensions.Logging;

namespace Coordinator.Connectors.Tests;

/// <summary>The connector supervisor against a real HTTP server, with a real SQLite journal.</summary>
public sealed class SupervisorTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static int _systems;
    private readonly string _directory = Directory.CreateTempSubdirectory("coordinator-connectors-").FullName;
    private readonly ConnectorMetrics _metrics = new();
    private PaymentsApi _api = null!;
    private ActorSystem? _system;

    public async Task InitializeAsync() => _api = await PaymentsApi.StartAsync();

    public async Task DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.Terminate();
        }

        await _api.DisposeAsync();
    }

    public void Dispose()
    {
        _metrics.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static ConnectorPolicy Policy(int maxAttempts = 4, int threshold = 100) => new()
    {
        MaxAttempts = maxAttempts,
        BaseDelay = TimeSpan.FromMilliseconds(5),
        MaxDelay = TimeSpan.FromMilliseconds(50),
        CircuitFailureThreshold = threshold,
        BreakDuration = TimeSpan.FromMilliseconds(300),
        Timeout = TimeSpan.FromSeconds(2),
        RatePerSecond = 1_000,
        DrainPerSecond = 200,
    };

    private async Task<IActorRef> StartAsync(ConnectorPolicy policy, TimeProvider? time = null, IConnector? connector = null, ILoggerFactory? logs = null)
    {
        if (_system is not null)
        {
            await _system.Terminate();
        }

        _system = ActorSystem.Create($"connectors-{Interlocked.Increment(ref _systems)}", new ActorSystemSettings
        {
            TimeProvider = time ?? TimeProvider.System,
            LoggerFactory = logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        var storage = new SqliteStorage(Path.Combine(_directory, "journal.db"));
        await PersistenceExtension.StartAsync(_system, new PersistenceSettings
        {
            Journal = new SqliteJournalStore(storage),
            SnapshotStore = new SqliteSnapshotStore(storage),
            Registry = new EventTypeRegistry().AddConnectors(),
        });
        connector ??= new HttpConnector("payments", DomainConnectors.Payments(new HttpConnectorOptions { Kind = "payments", BaseUrl = _api.BaseUrl, Policy = policy }), timeProvider: time);
        return _system.ActorOf(ConnectorSupervisor.Props(connector, _metrics, new Random(1515)), "payments");
    }

    /// <summary>Starts the connectors as a node does (<see cref="ConnectorsExtension.Start"/>), journaling through a journal that can be made to fail.</summary>
    private async Task<(ConnectorsExtension Connectors, FaultyJournal Journal)> StartConnectorsAsync(ConnectorPolicy policy)
    {
        if (_system is not null)
        {
            await _system.Terminate();
        }

        _system = ActorSystem.Create($"connectors-{Interlocked.Increment(ref _systems)}");
        var storage = new SqliteStorage(Path.Combine(_directory, "journal.db"));
        var journal = new FaultyJournal(new SqliteJournalStore(storage));
        await PersistenceExtension.StartAsync(_system, new PersistenceSettings
        {
            Journal = journal,
            SnapshotStore = new SqliteSnapshotStore(storage),
            Registry = new EventTypeRegistry().AddConnectors(),
        });
        var connector = new HttpConnector("payments", DomainConnectors.Payments(new HttpConnectorOptions { Kind = "payments", BaseUrl = _api.BaseUrl, Policy = policy }));
        return (ConnectorsExtension.Start(_system, new Dictionary<string, IConnector> { ["payments"] = connector }), journal);
    }

    /// <summary>Asks once with a short patience; null when no answer came (the supervisor is down, or its incarnation was lost).</summary>
    private static async Task<T?> TryAskAsync<T>(IActorRef to, object message)
        where T : class
    {
        try
        {
            return await to.Ask<T>(message, TimeSpan.FromSeconds(1));
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static ConnectorRequest Charge(string entity, long amount, string customer = "cus_1")
        => new("payments", "charge", ConnectorRequest.KeyFor(entity, "charge"), $"case-{entity}", new JsonObject { ["amount"] = amount, ["currency"] = "EUR", ["customer"] = customer });

    [Fact]
    public async Task TransientErrors_AreRetried_ThenSucceed_AndTheEffectIsReadBack()
    {
        var payments = await StartAsync(Policy());
        _api.FailNext(2, 503);

        var reply = await payments.Ask<ActionSucceeded>(new Execute(Charge("case-1", 1250)), Patience);

        Assert.Equal(3, reply.Attempts);
        Assert.True(reply.Verified);
        Assert.Equal("succeeded", (string?)reply.Output["status"]);
        Assert.Equal(3, _api.CallsFor("case-1/charge"));
        Assert.Equal(["case-1/charge"], _api.Effects);
        Assert.Equal(2, _metrics.Retries);
    }

    [Fact]
    public async Task TooManyRequests_HonoursRetryAfter()
    {
        var time = new RecordingTime();
        var policy = Policy();
        var payments = await StartAsync(policy, time);
        _api.FailNext(1, 429, retryAfter: TimeSpan.FromSeconds(1));

        var reply = payments.Ask<ActionSucceeded>(new Execute(Charge("case-429", 10)), Patience);

        // The retry waits Retry-After (1 s, not the 5 ms backoff) plus at most BaseDelay of jitter.
        var wait = await time.NextOneShotAsync(except: Patience);
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) + policy.BaseDelay);
        time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.Equal(1, _api.CallsFor("case-429/charge")); // its timer is not due yet, so no retry can be under way
        time.Advance(policy.BaseDelay + TimeSpan.FromTicks(1));
        Assert.Equal(2, (await reply.WaitAsync(Patience)).Attempts);
        Assert.Equal(2, _api.CallsFor("case-429/charge"));
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterBeyondMaxRetryAfter_WaitsOnlyMaxRetryAfter()
    {
        var time = new RecordingTime();
        var policy = Policy();
        policy.MaxRetryAfter = TimeSpan.FromSeconds(2);
        var payments = await StartAsync(policy, time);
        _api.FailNext(1, 429, retryAfter: TimeSpan.FromHours(1));

        var reply = payments.Ask<ActionSucceeded>(new Execute(Charge("case-429-long", 10)), Patience);

        Assert.Equal(policy.MaxRetryAfter, await time.NextOneShotAsync(except: Patience));
        time.Advance(policy.MaxRetryAfter);
        Assert.Equal(2, (await reply.WaitAsync(Patience)).Attempts);
    }

    [Fact]
    public async Task Failure_TokenFromTheEnvironmentInThePathAndQuery_NeverReachesTheJournalOrTheLogs()
    {
        var variable = $"COORDINATOR_TEST_TOKEN_{Environment.ProcessId}";
        const string token = "tok_9d2e7c41aa5b";
        Environment.SetEnvironmentVariable(variable, token);
        using var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
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
        var payments = await StartAsync(Policy(), connector: connector, logs: loggerFactory);

        var failed = await payments.Ask<ActionFailed>(new Execute(Charge("case-secret", 10)), Patience);

        Assert.Equal((FailureClass.Data, "http-422"), (failed.Class, failed.Outcome));
        Assert.DoesNotContain(token, failed.Message, StringComparison.Ordinal);
        var rows = await new SqliteJournalStore(new SqliteStorage(Path.Combine(_directory, "journal.db"))).ReadAllAsync(0, 1_000);
        Assert.Contains(rows, r => r.Event.TypeName.Contains("Completed", StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain(token, System.Text.Encoding.UTF8.GetString(r.Event.Payload), StringComparison.Ordinal));
        await _system!.Terminate();
        _system = null;
        Assert.All(logs.Lines, line => Assert.DoesNotContain(token, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SlowServer_TimesOut_IsRetried_AndWhenRetriesAreExhausted_GoesToTheLaneThePolicyNames()
    {
        var policy = Policy(maxAttempts: 3);
        policy.Timeout = TimeSpan.FromMilliseconds(200);
        policy.WhenRetriesExhausted = FailureClass.Data;
        var payments = await StartAsync(policy);
        _api.Delay = TimeSpan.FromSeconds(5);

        var reply = await payments.Ask<ActionFailed>(new Execute(Charge("case-slow", 10)), Patience);

        Assert.Equal((FailureClass.Data, "timeout"), (reply.Class, reply.Outcome));
        Assert.Contains("after 3 attempts", reply.Message, StringComparison.Ordinal);
        Assert.Equal(3, _api.CallsFor("case-slow/charge"));
        Assert.Equal(2, _metrics.Retries);
        Assert.Equal(CircuitState.Closed, (await payments.Ask<CircuitView>(GetCircuit.Instance, Patience)).State);
    }

    [Fact]
    public async Task DataError_IsNotRetried_AndNamesTheFix()
    {
        var payments = await StartAsync(Policy());
        _api.RejectCustomer = "cus_blocked";

        var reply = await payments.Ask<ActionFailed>(new Execute(Charge("case-2", 500, "cus_blocked")), Patience);

        Assert.Equal(FailureClass.Data, reply.Class);
        Assert.Equal("http-422", reply.Outcome);
        Assert.Equal(422, reply.Status);
        Assert.Contains("customer is blocked", reply.Message, StringComparison.Ordinal);
        Assert.Contains("correct the step's input", reply.Fix, StringComparison.Ordinal);
        Assert.Equal(1, _api.CallsFor("case-2/charge"));
        Assert.Empty(_api.Effects);
    }

    [Fact]
    public async Task MissingInput_IsADataErrorNamingTheField_WithoutACall()
    {
        var payments = await StartAsync(Policy());
        var request = new ConnectorRequest("payments", "charge", "case-3/charge", "case-3", new JsonObject { ["amount"] = 5, ["currency"] = "EUR" });

        var reply = await payments.Ask<ActionFailed>(new Execute(request), Patience);

        Assert.Equal(FailureClass.Data, reply.Class);
        Assert.Equal("contract", reply.Outcome);
        Assert.Contains("{input.customer}", reply.Message, StringComparison.Ordinal);
        Assert.Contains("add 'customer' to the step's input", reply.Fix, StringComparison.Ordinal);
        Assert.Equal(0, _api.CallsFor("case-3/charge"));
    }

    [Fact]
    public async Task VerificationMismatch_IsADataError()
    {
        var payments = await StartAsync(Policy());
        _api.ReadBackAmount = "999";

        var reply = await payments.Ask<ActionFailed>(new Execute(Charge("case-4", 100)), Patience);

        Assert.Equal(FailureClass.Data, reply.Class);
        Assert.Equal("verify-mismatch", reply.Outcome);
        Assert.Contains("'amount' is '999', expected '100'", reply.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameKeyRequestedAgain_TakesEffectOnce_AndIsAnsweredFromTheOutbox()
    {
        var payments = await StartAsync(Policy());
        _api.Delay = TimeSpan.FromMilliseconds(200);
        var first = payments.Ask<ActionSucceeded>(new Execute(Charge("case-5", 70)), Patience);
        var concurrent = payments.Ask<ActionSucceeded>(new Execute(Charge("case-5", 70)), Patience);
        var (a, b) = (await first, await concurrent);
        var later = await payments.Ask<ActionSucceeded>(new Execute(Charge("case-5", 70)), Patience);

        Assert.Equal((string?)a.Output["id"], (string?)b.Output["id"]);
        Assert.Equal((string?)a.Output["id"], (string?)later.Output["id"]);
        Assert.Equal(1, _api.CallsFor("case-5/charge"));
        Assert.Equal(2, _metrics.DuplicatesPrevented);

        // The outbox survives a restart: the same key is answered without a call.
        payments = await StartAsync(Policy());
        var afterRestart = await payments.Ask<ActionSucceeded>(new Execute(Charge("case-5", 70)), Patience);
        Assert.Equal((string?)a.Output["id"], (string?)afterRestart.Output["id"]);
        Assert.Equal(1, _api.CallsFor("case-5/charge"));
    }

    [Fact]
    public async Task CircuitOpens_ActionsQueueDurably_SurviveARestart_AndDrainInOrderOnce()
    {
        var policy = Policy(maxAttempts: 2, threshold: 3);
        var payments = await StartAsync(policy);
        _api.Down = true;
        var probe = new TestProbe(_system!);
        var keys = Enumerable.Range(1, 10).Select(i => $"queued-{i}/charge").ToList();
        for (var i = 1; i <= 10; i++)
        {
            payments.Tell(new Execute(Charge($"queued-{i}", i)), probe.Ref);
        }

        // Every action is acknowledged as queued, none failed.
        var queued = new HashSet<string>();
        while (queued.Count < 10)
        {
            queued.Add((await probe.ExpectMsgAsync<ActionQueued>(timeout: Patience)).IdempotencyKey);
        }

        var circuit = await payments.Ask<CircuitView>(GetCircuit.Instance, Patience);
        Assert.NotEqual(CircuitState.Closed, circuit.State);
        Assert.Equal(1, circuit.Opened);
        Assert.Empty(_api.Effects);

        // A restart while open keeps the queue, in order.
        payments = await StartAsync(policy);
        var queue = await payments.Ask<QueueView>(GetQueue.Instance, Patience);
        Assert.Equal(keys, queue.Actions.Select(a => a.IdempotencyKey));

        // Recovery: the probe succeeds, the circuit closes, the queue drains in order, once each.
        _api.Down = false;
        await Eventually.TrueAsync(() => _api.Effects.Count == 10, "the queue drained", Patience);
        Assert.Equal(keys, _api.Effects);
        await Eventually.TrueAsync(async () => (await payments.Ask<QueueView>(GetQueue.Instance, Patience)).Actions.Count == 0, "every action completed", Patience);
        circuit = await payments.Ask<CircuitView>(GetCircuit.Instance, Patience);
        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.NotNull(circuit.LastTimeToRecovery);

        // The callers' replays after their own restarts are answered from the outbox.
        var again = await payments.Ask<ActionSucceeded>(new Execute(Charge("queued-3", 3)), Patience);
        Assert.True(again.Verified);
        Assert.All(keys, k => Assert.Equal(1, _api.Effects.Count(e => e == k)));
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
            await payments.Ask<ActionSucceeded>(new Execute(Charge($"snap-{i}", i)), Patience); // 20 events
        }

        _api.Down = true;
        var probe = new TestProbe(_system!);
        var queuedKeys = Enumerable.Range(1, 9).Select(i => $"held-{i}/charge").ToList();
        for (var i = 1; i <= 9; i++)
        {
            payments.Tell(new Execute(Charge($"held-{i}", 100 + i)), probe.Ref); // 9 accepted + 1 opened: 30 events
            await probe.ExpectMsgAsync<ActionQueued>(timeout: Patience);
        }

        // The snapshot at event 30 holds everything; the events before it are deleted.
        var storage = new SqliteStorage(Path.Combine(_directory, "journal.db"));
        StoredSnapshot? snapshot = null;
        await Eventually.TrueAsync(async () => (snapshot = await new SqliteSnapshotStore(storage).LoadLatestAsync("connector-payments")) is { SequenceNr: 30 }, "a snapshot at event 30", Patience);
        await _system!.Terminate();
        _system = null;
        await new SqliteJournalStore(storage).DeleteEventsToAsync("connector-payments", snapshot!.SequenceNr);

        payments = await StartAsync(policy);
        var circuit = await payments.Ask<CircuitView>(GetCircuit.Instance, Patience);
        Assert.Equal((CircuitState.Open, 1, 9), (circuit.State, circuit.Opened, circuit.QueueDepth));
        Assert.Equal(queuedKeys, (await payments.Ask<QueueView>(GetQueue.Instance, Patience)).Actions.Select(a => a.IdempotencyKey));
        var replayed = await payments.Ask<ActionSucceeded>(new Execute(Charge("snap-4", 4)), Patience);
        Assert.Equal(1, _api.CallsFor("snap-4/charge")); // answered from the snapshot's outbox
        Assert.True(replayed.Verified);

        _api.Down = false;
        await payments.Ask<CircuitView>(new DrainQueue("dora"), Patience);
        await Eventually.TrueAsync(() => _api.Effects.Count == 19, "the queue drained", Patience);
        Assert.Equal(queuedKeys, _api.Effects.Skip(10));
    }

    [Fact]
    public async Task Operators_ReorderTheQueue_AndDrainItNow()
    {
        var policy = Policy(maxAttempts: 1, threshold: 1);
        policy.BreakDuration = TimeSpan.FromMinutes(10);
        var payments = await StartAsync(policy);
        _api.Down = true;
        var probe = new TestProbe(_system!);
        for (var i = 1; i <= 4; i++)
        {
            payments.Tell(new Execute(Charge($"op-{i}", i)), probe.Ref);
        }

        await Eventually.TrueAsync(async () => (await payments.Ask<CircuitView>(GetCircuit.Instance, Patience)) is { State: CircuitState.Open, QueueDepth: 4 }, "open with 4 queued", Patience);
        var reordered = await payments.Ask<QueueView>(new ReorderQueue(["op-4/charge", "op-2/charge"], "alice"), Patience);
        Assert.Equal(["op-4/charge", "op-2/charge", "op-1/charge", "op-3/charge"], reordered.Actions.Select(a => a.IdempotencyKey));

        _api.Down = false;
        await payments.Ask<CircuitView>(new DrainQueue("alice"), Patience); // without waiting out the 10-minute break
        await Eventually.TrueAsync(() => _api.Effects.Count == 4, "drained", Patience);
        Assert.Equal(["op-4/charge", "op-2/charge", "op-1/charge", "op-3/charge"], _api.Effects);

        // Both operator actions are audited: journaled with who did them.
        var audited = new List<(string Type, Actor By)>();
        await foreach (var e in PersistenceExtension.Get(_system!).Journal.ReadEventsAsync("connector-payments", 1, long.MaxValue))
        {
            audited.Add((e.Event.TypeName, e.Metadata.CausedBy));
        }

        Assert.Contains(("V1.ConnectorQueueReordered", Actor.Operator("alice")), audited);
        Assert.Contains(("V1.ConnectorDrainRequested", Actor.Operator("alice")), audited);
        Assert.Single(audited, a => a.Type == "V1.ConnectorCircuitOpened");
        Assert.Single(audited, a => a.Type == "V1.ConnectorCircuitClosed");
    }

    [Fact]
    public async Task ConnectorSupervisor_JournalWriteFails_ComesBackUnderItsBackoffSupervisor_RecoversAndServesQueuedAndNewActionsOnce()
    {
        var policy = Policy();
        policy.RestartBackoff = TimeSpan.FromMilliseconds(50);
        var (connectors, journal) = await StartConnectorsAsync(policy);
        var payments = connectors.Supervisor("payments")!;
        Assert.True((await payments.Ask<ActionSucceeded>(new Execute(Charge("before", 1)), Patience)).Verified);

        // The charge of 'queued' takes effect, but its outcome cannot be journaled: the persistent
        // actor stops (its state is unknown) with the action pending in its outbox.
        journal.FailNextWriteOf("V1.ConnectorActionCompleted");
        _ = payments.Ask<object>(new Execute(Charge("queued", 2)), Patience); // this caller's answer is lost with the incarnation
        await Eventually.TrueAsync(() => journal.Failed == 1, "the completion's write to fail", Patience);

        // It comes back at the same address, recovers, runs the pending action again under its key,
        // and a caller asking again (as a step entity does) is answered.
        ActionSucceeded? queued = null;
        await Eventually.TrueAsync(async () => (queued = await TryAskAsync<ActionSucceeded>(payments, new Execute(Charge("queued", 2)))) is not null, "the supervisor to come back and answer the queued action", Patience);
        Assert.True(queued!.Verified);
        Assert.Same(payments, connectors.Supervisor("payments"));
        Assert.True((await payments.Ask<BackoffSupervisor.RestartCount>(BackoffSupervisor.GetRestartCount.Instance, Patience)).Count >= 1);

        // New actions are served, and each action took effect once.
        Assert.True((await payments.Ask<ActionSucceeded>(new Execute(Charge("after", 3)), Patience)).Verified);
        Assert.Equal(["before/charge", "queued/charge", "after/charge"], _api.Effects);
        var before = await payments.Ask<ActionSucceeded>(new Execute(Charge("before", 1)), Patience); // recovered outbox: no call
        Assert.Equal(1, _api.CallsFor("before/charge"));
        Assert.Equal(1, _api.CallsFor("after/charge"));
        Assert.True(before.Verified);
    }

    [Fact]
    public async Task Outbox_UnacknowledgedOutcomeBeyondTheWindow_IsNeverEvicted_AndARepeatOfItsKeyIsAnsweredWithoutASecondCall()
    {
        var policy = Policy();
        policy.OutboxWindow = 3;
        policy.SnapshotEvery = 10;
        var payments = await StartAsync(policy);
        var entity = new TestProbe(_system!);
        async Task CompletedAsync() => await Eventually.TrueAsync(async () => (await payments.Ask<QueueView>(GetQueue.Instance, Patience)).Actions.Count == 0, "the action's outcome to be journaled", Patience);

        // An outcome its entity has not acknowledged (its route is not on this node, so it stays undelivered).
        var waiting = Charge("waiting", 5) with { ReplyTo = "orders/waiting" };
        payments.Tell(new Execute(waiting), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(timeout: Patience);
        await CompletedAsync();

        // One acknowledged by its entity, then four whose callers were answered directly: five acknowledged, window 3.
        var acked = Charge("acked", 6) with { ReplyTo = "orders/acked" };
        payments.Tell(new Execute(acked), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(timeout: Patience);
        await CompletedAsync();
        payments.Tell(new ActionOutcomeReceived(acked.IdempotencyKey), entity.Ref);
        for (var i = 1; i <= 4; i++)
        {
            await payments.Ask<ActionSucceeded>(new Execute(Charge($"plain-{i}", i)), Patience);
        }

        // The entity recovers and asks again: answered from the outbox, no second call.
        payments.Tell(new Execute(waiting), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(timeout: Patience);
        Assert.Equal(waiting.IdempotencyKey, (await entity.ExpectMsgAsync<ActionSucceeded>(timeout: Patience)).IdempotencyKey);
        Assert.Equal(1, _api.CallsFor(waiting.IdempotencyKey));

        // Acknowledged outcomes within the window are answered without a call; one evicted from it is
        // called again under the same Idempotency-Key (as documented), which this system honours: one effect.
        await payments.Ask<ActionSucceeded>(new Execute(Charge("plain-4", 4)), Patience);
        Assert.Equal(1, _api.CallsFor("plain-4/charge"));
        await payments.Ask<ActionSucceeded>(new Execute(Charge("plain-1", 1)), Patience);
        Assert.Equal(2, _api.CallsFor("plain-1/charge"));
        Assert.Single(_api.Effects, e => e == "plain-1/charge");

        // The snapshot keeps the unacknowledged outcome: with the events before it deleted, a repeat is still answered.
        var storage = new SqliteStorage(Path.Combine(_directory, "journal.db"));
        StoredSnapshot? snapshot = null;
        await Eventually.TrueAsync(async () => (snapshot = await new SqliteSnapshotStore(storage).LoadLatestAsync("connector-payments")) is { SequenceNr: >= 10 }, "a snapshot", Patience);
        await _system!.Terminate();
        _system = null;
        await new SqliteJournalStore(storage).DeleteEventsToAsync("connector-payments", snapshot!.SequenceNr);
        payments = await StartAsync(policy);
        entity = new TestProbe(_system!);
        payments.Tell(new Execute(waiting), entity.Ref);
        await entity.ExpectMsgAsync<ActionAccepted>(timeout: Patience);
        Assert.Equal(waiting.IdempotencyKey, (await entity.ExpectMsgAsync<ActionSucceeded>(timeout: Patience)).IdempotencyKey);
        Assert.Equal(1, _api.CallsFor(waiting.IdempotencyKey));
    }
}
