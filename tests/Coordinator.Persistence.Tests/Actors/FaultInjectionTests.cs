namespace Coordinator.Persistence.Tests.Actors;

/// <summary>A journal whose writes can be held at a gate or made to fail, wrapping the memory store.</summary>
internal sealed class ControllableJournal : IJournalStore
{
    private readonly MemoryJournalStore _inner = new();
    private volatile TaskCompletionSource? _gate;
    private volatile Exception? _failNext;
    private volatile Exception? _failAfterCommit;
    private int _writes;

    public int Writes => Volatile.Read(ref _writes);

    public MemoryJournalStore Inner => _inner;

    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate?.TrySetResult();

    public void FailNextWrite(Exception failure) => _failNext = failure;

    /// <summary>The next write is stored, then reported as failed (a lost acknowledgement).</summary>
    public void FailNextWriteAfterCommit(Exception failure) => _failAfterCommit = failure;

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _writes);
        if (_gate is { } gate)
        {
            await gate.Task;
        }

        if (Interlocked.Exchange(ref _failNext, null) is { } failure)
        {
            throw failure;
        }

        await _inner.WriteAsync(events, cancellationToken);
        if (Interlocked.Exchange(ref _failAfterCommit, null) is { } lostAcknowledgement)
        {
            throw lostAcknowledgement;
        }
    }

    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default)
        => _inner.ReadEventsAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) => _inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) => _inner.DeleteEventsToAsync(persistenceId, toSequenceNr, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default) => _inner.ReadAllAsync(afterOrdering, max, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default) => _inner.ReadByTagAsync(tag, afterOrdering, max, cancellationToken);
}

public sealed class FaultInjectionTests : IAsyncLifetime
{
    private readonly ControllableJournal _journal = new();
    private ActorSystem _system = null!;

    public async Task InitializeAsync()
    {
        _system = ActorSystem.Create("faults");
        await PersistenceExtension.StartAsync(_system, new PersistenceSettings
        {
            Journal = _journal,
            SnapshotStore = new MemorySnapshotStore(),
            Registry = TestRegistry.Create(),
            MaxBatchEvents = 100,
            MaxPendingEvents = 100,
        });
    }

    public async Task DisposeAsync()
    {
        _journal.Release();
        await _system.Terminate();
    }

    private IActorRef Entity(string pid, TestProbe probe) => _system.ActorOf(Props.Create(() => new CaseEntity(pid, probe.Ref, 0)));

    [Fact]
    public async Task WriteFailure_StopsTheActor_AndItsHandlerNeverRuns()
    {
        var probe = new TestProbe(_system);
        var entity = Entity("fail", probe);
        await probe.FishForMessageAsync<string>(s => s == "recovered:0");
        probe.Watch(entity);
        _journal.FailNextWrite(new TimeoutException("database did not answer"));
        var ask = entity.Ask<string>("add:lost", TimeSpan.FromSeconds(2));
        Assert.Equal("persist-failed:TimeoutException", await probe.ExpectMsgAsync<string>());
        await probe.ExpectTerminatedAsync(entity);
        await Assert.ThrowsAsync<AskTimeoutException>(() => ask);
    }

    [Fact]
    public async Task WriteFailure_UnderABackoffSupervisor_RestartsAndRecoversTheTruth()
    {
        var probe = new TestProbe(_system);
        var options = Coordinator.Actors.Supervision.BackoffOptions.OnStop(
            Props.Create(() => new CaseEntity("backoff-after-failure", probe.Ref, 0)), "entity", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100), 0);
        var supervisor = _system.ActorOf(options.Props());
        await probe.FishForMessageAsync<string>(s => s == "recovered:0");
        Assert.Equal("ok:1", await supervisor.Ask<string>("add:kept"));

        // The store commits the event but its acknowledgement is lost: the actor cannot know
        // whether it is stored, stops, and its next incarnation reads the truth from the journal.
        _journal.FailNextWriteAfterCommit(new TimeoutException("commit acknowledgement lost"));
        supervisor.Tell("add:lost-ack", null);
        Assert.Equal("persist-failed:TimeoutException", await probe.FishForMessageAsync<string>(s => s.StartsWith("persist-failed", StringComparison.Ordinal)));
        await probe.FishForMessageAsync<string>(s => s == "recovered:2", hint: "the restarted entity to recover both durable events");
        Assert.Equal(["kept", "lost-ack"], (await supervisor.Ask<CounterState>("get")).Notes);
        Assert.Equal("ok:3", await supervisor.Ask<string>("add:after-restart"));
    }

    [Fact]
    public async Task PersistAsync_KeepsProcessingCommandsWhileTheWriteIsInFlight()
    {
        var probe = new TestProbe(_system);
        var entity = Entity("async", probe);
        await probe.FishForMessageAsync<string>(s => s == "recovered:0");
        _journal.Hold();
        Assert.Equal("accepted", await entity.Ask<string>("async:one"));
        Assert.Equal(0, (await entity.Ask<CounterState>("get")).Count); // answered while the write waits
        _journal.Release();
        Assert.Equal("async-handled:one", await probe.ExpectMsgAsync<string>());
        Assert.Equal(1, (await entity.Ask<CounterState>("get")).Count);
    }

    [Fact]
    public async Task Persist_HoldsLaterCommandsUntilTheWriteIsDurable()
    {
        var probe = new TestProbe(_system);
        var entity = Entity("held", probe);
        await probe.FishForMessageAsync<string>(s => s == "recovered:0");
        _journal.Hold();
        var add = entity.Ask<string>("add:one");
        var get = entity.Ask<CounterState>("get");
        await Task.Delay(100);
        Assert.False(get.IsCompleted, "a command after Persist must wait for the write");
        _journal.Release();
        Assert.Equal("ok:1", await add);
        Assert.Equal(1, (await get).Count);
    }

    [Fact]
    public async Task JournalOverloaded_RejectsWithBackpressure_AndAcceptsAgainLater()
    {
        var probe = new TestProbe(_system);
        var entities = Enumerable.Range(0, 3).Select(i => Entity($"load-{i}", probe)).ToList();
        for (var i = 0; i < 3; i++)
        {
            await probe.FishForMessageAsync<string>(s => s == "recovered:0");
        }

        _journal.Hold();
        var client = new TestProbe(_system);
        foreach (var e in entities)
        {
            client.Send(e, $"many:{string.Join(',', Enumerable.Range(0, 45))}");
        }

        // 45 + 45 fit under MaxPendingEvents = 100; the third batch is refused without being written.
        var failure = await client.ExpectMsgAsync<Status.Failure>();
        var rejection = Assert.IsType<PersistRejectedException>(failure.Cause);
        Assert.Contains("MaxPendingEvents", rejection.Message, StringComparison.Ordinal);
        var rejected = client.LastSender!; // which of the three comes third is a race
        _journal.Release();
        await Eventually.TrueAsync(() => _journal.Inner.Count == 90, "the two accepted batches to be written");
        Assert.Equal("ok:1", await rejected.Ask<string>("add:later")); // nothing of its batch was written
        Assert.Equal("ok:46", await entities.First(e => !e.Equals(rejected)).Ask<string>("add:later"));
    }

    [Fact]
    public async Task Writer_BatchesConcurrentActorsIntoFewerStoreWrites()
    {
        var probe = new TestProbe(_system);
        var entities = Enumerable.Range(0, 50).Select(i => Entity($"batch-{i}", probe)).ToList();
        for (var i = 0; i < 50; i++)
        {
            await probe.FishForMessageAsync<string>(s => s.StartsWith("recovered", StringComparison.Ordinal));
        }

        _journal.Hold(); // the first write waits; everything behind it queues up
        var asks = entities.Select(e => e.Ask<string>("add:x")).ToList();
        await Eventually.TrueAsync(() => _system.GetExtension<PersistenceExtension>()!.PendingEvents == 50, "50 events to queue");
        var writesBefore = _journal.Writes;
        _journal.Release();
        await Task.WhenAll(asks);
        Assert.True(_journal.Writes - writesBefore <= 2, $"50 queued events should go out in at most 2 store writes, took {_journal.Writes - writesBefore}");
    }

    [Fact]
    public async Task FailedBatch_IsRetriedPerActor_SoOnlyTheConflictingActorFails()
    {
        var probe = new TestProbe(_system);
        var good = Entity("good", probe);
        var zombie = Entity("zombie", probe);
        for (var i = 0; i < 2; i++)
        {
            await probe.FishForMessageAsync<string>(s => s.StartsWith("recovered", StringComparison.Ordinal));
        }

        // Someone else already wrote zombie's event 1: its write will conflict.
        await _journal.Inner.WriteAsync([Contract.JournalContract<MemoryStoreFixture>.Event("zombie", 1)]);
        _journal.Hold();
        var goodAsk = good.Ask<string>("add:fine");
        zombie.Tell("add:conflict", null);
        await Eventually.TrueAsync(() => _system.GetExtension<PersistenceExtension>()!.PendingEvents == 2, "both writes to queue into one batch");
        _journal.Release();
        Assert.Equal("ok:1", await goodAsk);
        Assert.Equal("persist-failed:JournalConflictException", await probe.FishForMessageAsync<string>(s => s.StartsWith("persist-failed", StringComparison.Ordinal)));
    }
}
