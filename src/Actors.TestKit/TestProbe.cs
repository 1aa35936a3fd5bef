using System.Threading.Channels;

namespace Coordinator.Actors.TestKit;

/// <summary>
/// An actor whose received messages a test can expect, each wait bounded by a deadline in real
/// time (the system's clock may be fake). Failures say what was expected, where, and what
/// arrived instead.
/// </summary>
public sealed class TestProbe
{
    private static int _counter;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Creates a probe actor under <c>/user</c>.</summary>
    public TestProbe(ActorSystem system, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        System = system;
        Ref = system.ActorOf(Props.Create(() => new ProbeActor(_received.Writer)), name ?? $"testProbe-{Interlocked.Increment(ref _counter)}");
    }

    /// <summary>The system the probe lives in.</summary>
    public ActorSystem System { get; }

    /// <summary>The probe's actor.</summary>
    public IActorRef Ref { get; }

    /// <summary>Sender of the last message taken by an expect call.</summary>
    public IActorRef? LastSender { get; private set; }

    /// <summary>How long expect calls wait when given no timeout. <value>Default: 5 s.</value></summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with the probe as sender.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, Ref);

    /// <summary>Replies to <see cref="LastSender"/>.</summary>
    public void Reply(object message)
        => (LastSender ?? throw new InvalidOperationException("Reply needs a sender: expect a message with a sender first.")).Tell(message, Ref);

    /// <summary>Makes the probe watch <paramref name="target"/>; its <see cref="Terminated"/> arrives like any message.</summary>
    public void Watch(IActorRef target) => Ref.Tell(new ProbeActor.WatchRequest(target), null);

    /// <summary>Waits for the next message and checks it is a <typeparamref name="T"/> (matching <paramref name="predicate"/>).</summary>
    public async Task<T> ExpectMsgAsync<T>(Predicate<T>? predicate = null, TimeSpan? timeout = null, string? hint = null)
    {
        var wait = timeout ?? DefaultTimeout;
        var message = await NextAsync(wait, $"a {typeof(T).Name}{(hint is null ? string.Empty : $" ({hint})")}").ConfigureAwait(false);
        if (message is not T typed)
        {
            throw new TestKitException($"Probe {Ref.Path} expected a {typeof(T).Name}{(hint is null ? string.Empty : $" ({hint})")} but received {Describe(message)}.");
        }

        if (predicate is not null && !predicate(typed))
        {
            throw new TestKitException($"Probe {Ref.Path} received {Describe(message)}, which does not match the expectation{(hint is null ? string.Empty : $" ({hint})")}.");
        }

        return typed;
    }

    /// <summary>Waits for the next message and checks it equals <paramref name="expected"/>.</summary>
    public async Task<T> ExpectMsgAsync<T>(T expected, TimeSpan? timeout = null)
        where T : notnull
    {
        var wait = timeout ?? DefaultTimeout;
        var message = await NextAsync(wait, Describe(expected)).ConfigureAwait(false);
        if (!Equals(message, expected))
        {
            throw new TestKitException($"Probe {Ref.Path} expected {Describe(expected)} but received {Describe(message)}.");
        }

        return (T)message;
    }

    /// <summary>Waits for <see cref="Terminated"/> of <paramref name="target"/> (the probe must watch it).</summary>
    public Task<Terminated> ExpectTerminatedAsync(IActorRef target, TimeSpan? timeout = null)
        => ExpectMsgAsync<Terminated>(t => t.ActorRef.Equals(target), timeout, $"Terminated of {target.Path}");

    /// <summary>Checks that no message arrives within <paramref name="duration"/>.</summary>
    public async Task ExpectNoMsgAsync(TimeSpan duration)
    {
        using var cts = new CancellationTokenSource(duration);
        try
        {
            var received = await _received.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            throw new TestKitException($"Probe {Ref.Path} expected no message for {duration.TotalMilliseconds:0} ms but received {Describe(received.Message)} from {received.Sender?.Path.ToString() ?? "no sender"}.");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits for <paramref name="count"/> messages and returns them in arrival order.</summary>
    public async Task<IReadOnlyList<object>> ReceiveNAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var result = new List<object>(count);
        while (result.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            result.Add(await NextAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, $"message {result.Count + 1} of {count}").ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>Skips messages until one is a <typeparamref name="T"/> matching <paramref name="isTarget"/>.</summary>
    public async Task<T> FishForMessageAsync<T>(Predicate<T> isTarget, TimeSpan? timeout = null, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(isTarget);
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var message = await NextAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, $"a matching {typeof(T).Name}{(hint is null ? string.Empty : $" ({hint})")}").ConfigureAwait(false);
            if (message is T typed && isTarget(typed))
            {
                return typed;
            }
        }
    }

    private async Task<object> NextAsync(TimeSpan timeout, string expectation)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var received = await _received.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            LastSender = received.Sender;
            return received.Message;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TestKitException($"Probe {Ref.Path} expected {expectation} within {timeout.TotalMilliseconds:0} ms but received nothing.");
        }
    }

    private static string Describe(object? message) => message switch
    {
        null => "null",
        string s => $"\"{s}\"",
        _ => $"{message.GetType().Name} {message}",
    };

    private readonly record struct Received(object Message, IActorRef? Sender);

    private sealed class ProbeActor(ChannelWriter<Received> writer) : ActorBase
    {
        protected override bool Receive(object message)
        {
            if (message is WatchRequest watch)
            {
                Context.Watch(watch.Target);
                return true;
            }

            writer.TryWrite(new Received(message, Context.Sender.Equals(Context.System.DeadLetters) ? null : Context.Sender));
            return true;
        }

        public sealed record WatchRequest(IActorRef Target);
    }
}

/// <summary>An expectation of the test kit was not met.</summary>
public sealed class TestKitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TestKitException(string message)
        : base(message)
    {
    }
}
