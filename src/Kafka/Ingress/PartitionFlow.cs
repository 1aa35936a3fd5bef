using Confluent.Kafka;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// One assigned partition's records between the consumer and their entities. The consume
/// thread dispatches records in offset order and owns the bookkeeping; entities complete them
/// from their own threads through <see cref="Complete"/>, which only queues a signal.
/// <para>
/// The <b>watermark</b> is the lowest dispatched offset not yet complete (or the next offset
/// when all are): every record below it is journaled, so it is the offset to commit. The
/// <b>generation</b> changes when the partition is rewound or revoked; deliveries of an older
/// generation are ignored by entities and their completions by the flow.
/// </para>
/// </summary>
internal sealed class PartitionFlow(TopicPartition topicPartition, IFlowSignals signals)
{
    private readonly Queue<long> _dispatched = new();
    private readonly HashSet<long> _done = [];
    private long _generation = 1;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public string Topic => TopicPartition.Topic;

    public int Partition => TopicPartition.Partition.Value;

    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Offset after the last dispatched record; null before the first.</summary>
    public long? NextOffset { get; private set; }

    /// <summary>Last watermark handed to librdkafka for committing.</summary>
    public long Stored { get; set; } = -1;

    public bool Paused { get; set; }

    /// <summary>The partition is being given up: rewinds are not served, the flow only drains.</summary>
    public bool Revoking { get; set; }

    /// <summary>Records dispatched and not yet complete (what occupies mailboxes and memory).</summary>
    public int InFlight => _dispatched.Count - _done.Count;

    /// <summary>Records from the watermark on: what a crash would read again, and the bookkeeping held.</summary>
    public int Uncommitted => _dispatched.Count;

    /// <summary>The offset below which every record is journaled; null before the first dispatch.</summary>
    public long? Watermark => _dispatched.Count > 0 ? _dispatched.Peek() : NextOffset;

    /// <summary>Consume thread: <paramref name="offset"/> is being sent to its entity or the dead-letter store.</summary>
    public void Dispatch(long offset)
    {
        _dispatched.Enqueue(offset);
        NextOffset = offset + 1;
    }

    /// <summary>Consume thread: applies a completion signal of the current generation.</summary>
    public void Completed(long offset)
    {
        _done.Add(offset);
        while (_dispatched.Count > 0 && _done.Remove(_dispatched.Peek()))
        {
            _dispatched.Dequeue();
        }
    }

    /// <summary>A rewind was asked for and not yet served: nothing may be dispatched until it is.</summary>
    public bool RewindPending => Volatile.Read(ref _generation) < 0;

    /// <summary>A rewind was asked for while the partition is being revoked: its in-flight records will not complete, so the revocation stops waiting for them.</summary>
    public bool Abandoned { get; set; }

    /// <summary>Consume thread: serves a pending rewind; every delivery sent before it is stale, later ones carry the new generation.</summary>
    public void EndRewind(long offset)
    {
        _dispatched.Clear();
        _done.Clear();
        NextOffset = offset;
        Volatile.Write(ref _generation, -Volatile.Read(ref _generation));
    }

    /// <summary>Makes every delivery sent so far stale for good (the partition is given up).</summary>
    public void Retire() => Volatile.Write(ref _generation, long.MinValue);

    /// <summary>Any thread: the record at <paramref name="offset"/> of <paramref name="generation"/> is complete.</summary>
    public void Complete(long generation, long offset) => signals.Post(new FlowSignal(this, generation, offset));

    /// <summary>
    /// Any thread: a delivery of <paramref name="generation"/> failed. The first failure of a
    /// generation marks a rewind pending (a negative generation) before it returns, so every
    /// delivery already sent is stale from then on, and the consume thread serves the rewind
    /// before it dispatches anything else. The failing entity's later deliveries are therefore
    /// never applied ahead of the record it failed.
    /// </summary>
    public void Fail(long generation)
    {
        if (generation > 0 && Interlocked.CompareExchange(ref _generation, -(generation + 1), generation) == generation)
        {
            signals.Post(new FlowSignal(this, -(generation + 1), Rewind: true));
        }
    }
}

/// <summary>A completion (or rewind request) for the consume thread.</summary>
internal readonly record struct FlowSignal(PartitionFlow Flow, long Generation, long Offset = -1, bool Rewind = false);

/// <summary>Where flows post their signals: the consume loop.</summary>
internal interface IFlowSignals
{
    void Post(FlowSignal signal);
}
