using System.Diagnostics.Metrics;
using System.Numerics;

namespace Coordinator.Actors.Diagnostics;

/// <summary>
/// The runtime's instruments on the meter <see cref="MeterName"/>, tagged with the system name.
/// Messages processed are counted per thread-pool turn into striped cells (no shared cache line
/// on the hot path) and read by an observable counter.
/// </summary>
internal sealed class ActorMetrics : IDisposable
{
    /// <summary>Name of the runtime's meter.</summary>
    public const string MeterName = "Coordinator.Actors";

    private const int Stride = 16; // longs per stripe: 128 bytes, so stripes never share a cache line

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly long[] _processed;
    private readonly int _stripeMask;
    private readonly Counter<long> _restarts;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _failures;
    private readonly Histogram<int> _mailboxDepth;
    private long _alive;

    public ActorMetrics(string systemName, IMeterFactory? meterFactory)
    {
        var tags = new[] { new KeyValuePair<string, object?>("actor.system", systemName) };
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(new MeterOptions(MeterName) { Tags = tags });
        }
        else
        {
            _meter = new Meter(MeterName, null, tags);
            _ownsMeter = true;
        }

        var stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(Environment.ProcessorCount, 1));
        _stripeMask = stripes - 1;
        _processed = new long[stripes * Stride];

        _meter.CreateObservableCounter("coordinator.actors.messages.processed", SumProcessed, "{message}", "User messages processed by actors.");
        _meter.CreateObservableUpDownCounter("coordinator.actors.alive", () => Volatile.Read(ref _alive), "{actor}", "Actors created and not yet stopped.");
        _restarts = _meter.CreateCounter<long>("coordinator.actors.restarts", "{restart}", "Actor restarts ordered by supervisors.");
        _deadLetters = _meter.CreateCounter<long>("coordinator.actors.dead_letters", "{message}", "Messages that could not be delivered.");
        _failures = _meter.CreateCounter<long>("coordinator.actors.failures", "{failure}", "Exceptions thrown by actors and handled by supervision.");
        _mailboxDepth = _meter.CreateHistogram<int>("coordinator.actors.mailbox.depth", "{message}", "Queued messages of an actor when it starts a turn on a thread.");
    }

    public bool MailboxDepthEnabled => _mailboxDepth.Enabled;

    public long Processed => SumProcessed();

    public long Alive => Volatile.Read(ref _alive);

    public void AddProcessed(int count)
        => Interlocked.Add(ref _processed[(Thread.GetCurrentProcessorId() & _stripeMask) * Stride], count);

    public void RecordMailboxDepth(int depth) => _mailboxDepth.Record(depth);

    public void ActorCreated() => Interlocked.Increment(ref _alive);

    public void ActorStopped() => Interlocked.Decrement(ref _alive);

    public void Restart() => _restarts.Add(1);

    public void DeadLetter() => _deadLetters.Add(1);

    public void Failure() => _failures.Add(1);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private long SumProcessed()
    {
        long sum = 0;
        for (var i = 0; i < _processed.Length; i += Stride)
        {
            sum += Volatile.Read(ref _processed[i]);
        }

        return sum;
    }
}
