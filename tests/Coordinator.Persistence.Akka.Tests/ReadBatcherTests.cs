using System.Collections.Concurrent;
using Coordinator.Persistence.Journal;

namespace Coordinator.Persistence.Akka.Tests;

/// <summary>
/// <see cref="ReadBatcher{TKey, T}"/> on a fake store: reads asked while a query is in flight go out
/// together, none is answered by a query that started before it was asked, and failures and
/// cancellations reach every caller.
/// </summary>
public sealed class ReadBatcherTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReadsAskedWhileAQueryIsInFlight_GoOutAsOneQuery()
    {
        var store = new FakeStore();
        await using var batcher = store.Batcher(maxBatch: 256);
        store.Hold();
        var first = batcher.ReadAsync("a");
        await store.Started.WaitAsync(Timeout);
        var others = Enumerable.Range(0, 100).Select(i => batcher.ReadAsync($"e-{i % 50}")).ToArray();
        store.Release();

        Assert.Equal(0L, await first.WaitAsync(Timeout));
        Assert.All(await Task.WhenAll(others).WaitAsync(Timeout), v => Assert.Equal(0L, v));
        Assert.Equal(101, batcher.Reads);
        Assert.Equal(2, batcher.Queries);
        Assert.Equal(50, store.Batches.Single().Count); // each entity asked once
    }

    [Fact]
    public async Task BatchSize_IsBounded()
    {
        var store = new FakeStore();
        await using var batcher = store.Batcher(maxBatch: 10);
        store.Hold();
        var first = batcher.ReadAsync("a");
        await store.Started.WaitAsync(Timeout);
        var others = Enumerable.Range(0, 35).Select(i => batcher.ReadAsync($"e-{i}")).ToArray();
        store.Release();
        await Task.WhenAll(others.Append(first)).WaitAsync(Timeout);
        Assert.All(store.Batches, b => Assert.True(b.Count <= 10));
        Assert.Equal(35, store.Batches.Sum(b => b.Count));
    }

    [Fact]
    public async Task AReadAskedAfterAWrite_IsNotAnsweredByAQueryThatStartedBeforeIt()
    {
        var store = new FakeStore();
        await using var batcher = store.Batcher(maxBatch: 256);
        store.Hold();
        var before = batcher.ReadAsync("a");
        await store.Started.WaitAsync(Timeout);

        // The query for "before" has started (and read 0); now a write is acknowledged, then "a" is asked again.
        store.Values["a"] = 7;
        var after = batcher.ReadAsync("a");
        store.Release();

        Assert.Equal(0L, await before.WaitAsync(Timeout));
        Assert.Equal(7L, await after.WaitAsync(Timeout));
    }

    [Fact]
    public async Task AFailingBatch_FailsEachCaller_AndLaterReadsSucceed()
    {
        var store = new FakeStore();
        await using var batcher = store.Batcher(maxBatch: 256);
        store.Hold();
        var first = batcher.ReadAsync("a");
        await store.Started.WaitAsync(Timeout);
        store.Failure = new TimeoutException("database away");
        var others = Enumerable.Range(0, 20).Select(i => batcher.ReadAsync($"e-{i}")).ToArray();
        store.Release();

        await Assert.ThrowsAsync<TimeoutException>(() => first.WaitAsync(Timeout));
        foreach (var other in others)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => other.WaitAsync(Timeout));
        }

        // A transient failure is not retried one by one (that would multiply the load on a database in trouble).
        Assert.Equal(2, batcher.Queries);

        store.Failure = null;
        store.Values["e-3"] = 3;
        Assert.Equal(3L, await batcher.ReadAsync("e-3").WaitAsync(Timeout));
        var again = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => batcher.ReadAsync($"e-{i}"))).WaitAsync(Timeout);
        Assert.Equal(3L, again[3]);
    }

    [Fact]
    public async Task AnEntityTheDatabaseRefuses_FailsAlone()
    {
        var store = new FakeStore { Refused = "bad" };
        await using var batcher = store.Batcher(maxBatch: 256);
        store.Values["e-1"] = 1;
        store.Hold();
        var first = batcher.ReadAsync("a");
        await store.Started.WaitAsync(Timeout);
        var good = Enumerable.Range(0, 10).Select(i => batcher.ReadAsync($"e-{i}")).ToArray();
        var bad = batcher.ReadAsync("bad");
        store.Release();

        await first.WaitAsync(Timeout);
        Assert.Equal(1L, (await Task.WhenAll(good).WaitAsync(Timeout))[1]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(Timeout));
    }

    [Fact]
    public async Task ACancelledCaller_CompletesAtOnce_AndTheOthersGetTheirValues()
    {
        var store = new FakeStore();
        await using var batcher = store.Batcher(maxBatch: 256);
        store.Values["b"] = 2;
        store.Hold();
        using var cancel = new CancellationTokenSource();
        var first = batcher.ReadAsync("a", cancel.Token);
        await store.Started.WaitAsync(Timeout);
        var waiting = batcher.ReadAsync("c", cancel.Token);
        var other = batcher.ReadAsync("b");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout));
        store.Release();
        Assert.Equal(2L, await other.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.ReadAsync("b", cancel.Token));
    }

    [Fact]
    public async Task AfterDispose_ReadsFail()
    {
        var store = new FakeStore();
        var batcher = store.Batcher(maxBatch: 256);
        Assert.Equal(0L, await batcher.ReadAsync("a").WaitAsync(Timeout));
        await batcher.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.ReadAsync("a"));
    }

    /// <summary>Highest sequence numbers in a dictionary; a query can be held in flight, can fail, and refuses one id.</summary>
    private sealed class FakeStore
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _gate;

        public ConcurrentDictionary<string, long> Values { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<IReadOnlyList<string>> Batches { get; } = new();

        public Task Started => _started.Task;

        public Exception? Failure { get; set; }

        public string? Refused { get; init; }

        public ReadBatcher<string, long> Batcher(int maxBatch) => new(ReadManyAsync, ReadOneAsync, 0L, maxBatch);

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate?.TrySetResult();

        private async Task<long> ReadOneAsync(string id, CancellationToken cancellationToken)
        {
            // The value is read when the query starts, as a database statement's snapshot is.
            var value = Values.TryGetValue(id, out var stored) ? stored : 0L;
            await WaitAsync(cancellationToken);
            return id == Refused ? throw new InvalidOperationException($"refused {id}") : value;
        }

        private async Task<IReadOnlyDictionary<string, long>> ReadManyAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
        {
            Batches.Enqueue([.. ids]);
            var values = ids.Where(Values.ContainsKey).ToDictionary(id => id, id => Values[id], StringComparer.Ordinal);
            await WaitAsync(cancellationToken);
            return Refused is not null && ids.Contains(Refused) ? throw new InvalidOperationException($"refused {Refused}") : values;
        }

        private async Task WaitAsync(CancellationToken cancellationToken)
        {
            _started.TrySetResult();
            if (_gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            if (Failure is { } failure)
            {
                throw failure;
            }
        }
    }
}
