using System.Collections.Concurrent;
using Coordinator.Persistence.Abstractions;
using Coordinator.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Coordinator.Connectors.Tests;

/// <summary>An HTTP transport that answers each request with <c>answer</c> and remembers what it was sent.</summary>
internal sealed class ScriptedHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public ConcurrentQueue<Uri> Requests { get; } = new();

    public ConcurrentQueue<string?> Bodies { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request.RequestUri!);
        Bodies.Enqueue(request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken));
        return answer(request);
    }
}

/// <summary>A fake clock (FakeTimeProvider) that also records the due time of every one-shot timer created on it (a retry's wait).</summary>
internal sealed class RecordingTime : FakeTimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _oneShots = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Registered first, then announced: a test that advances the clock on seeing the due time
        // must find the timer there, or it would fire a whole due time after the advance.
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero)
        {
            _oneShots.Enqueue(dueTime);
        }

        return timer;
    }

    /// <summary>Waits (polling, with a deadline) for a one-shot timer and returns its due time.</summary>
    public async Task<TimeSpan> NextOneShotAsync()
    {
        TimeSpan found = default;
        await Eventually.TrueAsync(() => _oneShots.TryDequeue(out found), "a timer for the retry's wait", TimeSpan.FromSeconds(30));
        return found;
    }
}

/// <summary>A journal that passes everything to <c>inner</c>, except that it can be told to fail the next write holding an event of a given type (a database blip at the worst moment).</summary>
public sealed class FaultyJournal(IJournalStore inner) : IJournalStore
{
    private string? _failNextOf;
    private int _failed;

    /// <summary>Writes failed so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>The next write holding an event of <paramref name="typeName"/> fails (nothing of it is stored).</summary>
    public void FailNextWriteOf(string typeName) => Volatile.Write(ref _failNextOf, typeName);

    public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

    public Task WriteAsync(IReadOnlyList<EventToWrite> events, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _failNextOf) is { } typeName && events.Any(e => e.Event.TypeName == typeName) && Interlocked.CompareExchange(ref _failNextOf, null, typeName) == typeName)
        {
            Interlocked.Increment(ref _failed);
            throw new TimeoutException($"injected: the database did not answer a write of {typeName}");
        }

        return inner.WriteAsync(events, cancellationToken);
    }

    public IAsyncEnumerable<StoredEvent> ReadEventsAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, CancellationToken cancellationToken = default)
        => inner.ReadEventsAsync(persistenceId, fromSequenceNr, toSequenceNr, cancellationToken);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) => inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) => inner.DeleteEventsToAsync(persistenceId, toSequenceNr, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterOrdering, int max, CancellationToken cancellationToken = default) => inner.ReadAllAsync(afterOrdering, max, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadByTagAsync(string tag, long afterOrdering, int max, CancellationToken cancellationToken = default) => inner.ReadByTagAsync(tag, afterOrdering, max, cancellationToken);
}
