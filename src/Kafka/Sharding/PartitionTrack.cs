using Confluent.Kafka;

namespace Coordinator.Kafka.Sharding;

/// <summary>
/// One assigned partition between the consumer and its entities, for as long as this node holds
/// it (a new track, with a new <see cref="Id"/>, at every assignment). The stream admits records
/// in offset order and completes them in any order; the consume thread seeks, pauses and
/// commits. Both take the track's lock, which guards only a few fields.
/// <para>
/// The <b>watermark</b> is the lowest admitted offset not yet complete (the next offset when all
/// are): every record below it is journaled or dead-lettered, so it is the offset to commit. The
/// <b>generation</b> moves on at every rewind; completions of an earlier one are ignored, and the
/// <see cref="RecordGate"/> keeps entities from applying its deliveries.
/// </para>
/// </summary>
internal sealed class PartitionTrack(TopicPartition topicPartition)
{
    private readonly object _lock = new();
    private readonly Queue<long> _admitted = new();
    private readonly HashSet<long> _done = [];
    private readonly HashSet<long> _refused = [];
    private long? _next;
    private long _generation = 1;
    private long _epoch;
    private bool _rewinding;
    private bool _capped;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public Guid Id { get; } = Guid.NewGuid();

    public string Topic => TopicPartition.Topic;

    public int Partition => TopicPartition.Partition.Value;

    /// <summary>The consume thread's seek epoch: records it read before the last seek carry an older one.</summary>
    public long Epoch
    {
        get
        {
            lock (_lock)
            {
                return _epoch;
            }
        }
    }

    /// <summary>Last watermark handed to librdkafka for committing (consume thread).</summary>
    public long Stored { get; set; } = -1;

    /// <summary>Whether the consumer has the partition paused (consume thread).</summary>
    public bool Paused { get; set; }

    /// <summary>The partition reached its in-flight or uncommitted cap and should be paused.</summary>
    public bool WantPaused { get; private set; }

    /// <summary>The offset after the last record read (consume thread), for the lag.</summary>
    public long ReadTo { get; set; } = -1;

    /// <summary>Records not yet read: the broker's high watermark minus <see cref="ReadTo"/> (consume thread, refreshed about every second).</summary>
    public long Lag { get; set; }

    /// <summary>The partition is being given up: nothing more is admitted, the track only drains.</summary>
    public bool Revoking { get; private set; }

    /// <summary>A rewind was asked for while revoking: what is in flight will not complete, so the revocation stops waiting.</summary>
    public bool Abandoned { get; private set; }

    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _admitted.Count - _done.Count;
            }
        }
    }

    public int Uncommitted
    {
        get
        {
            lock (_lock)
            {
                return _admitted.Count;
            }
        }
    }

    public long? Watermark
    {
        get
        {
            lock (_lock)
            {
                return _admitted.Count > 0 ? _admitted.Peek() : _next;
            }
        }
    }

    /// <summary>
    /// Stream: admits the record at <paramref name="offset"/> read in <paramref name="epoch"/>,
    /// giving it the current generation; false when it must not be dispatched (the partition is
    /// being given up or rewound, the record was read before the last seek, it was admitted
    /// already, or the partition is at its in-flight or uncommitted cap).
    /// <paramref name="refused"/> says the journal refused it before: it goes straight to the
    /// dead-letter store.
    /// <para>
    /// The caps are hard: records read ahead before the pause took effect (in the channel, or
    /// fetched already) are not dispatched past them. The first record over a cap caps the track:
    /// nothing more is admitted until <see cref="Complete"/> has made room, which hands back the
    /// offset to read again from (the one after the last admitted record).
    /// </para>
    /// </summary>
    public bool TryAdmit(long epoch, long offset, int maxInFlight, int maxUncommitted, out long generation, out bool refused)
    {
        lock (_lock)
        {
            generation = _generation;
            refused = false;
            if (Revoking || _rewinding || _capped || epoch != _epoch || (_next is { } next && offset < next))
            {
                return false;
            }

            if (_admitted.Count - _done.Count >= maxInFlight || _admitted.Count >= maxUncommitted)
            {
                _capped = true;
                WantPaused = true;
                return false;
            }

            _admitted.Enqueue(offset);
            _next = offset + 1;
            refused = _refused.Contains(offset);
            if (_admitted.Count - _done.Count >= maxInFlight || _admitted.Count >= maxUncommitted)
            {
                WantPaused = true;
            }

            return true;
        }
    }

    /// <summary>
    /// Stream: the record at <paramref name="offset"/> of <paramref name="generation"/> is
    /// journaled or dead-lettered. When this makes room in a capped track (see
    /// <see cref="TryAdmit"/>), returns the offset the consume thread must seek to before the
    /// partition flows again (nothing is admitted until <see cref="EndRewind"/>); else null.
    /// </summary>
    public long? Complete(long generation, long offset, int maxInFlight, int maxUncommitted)
    {
        lock (_lock)
        {
            if (generation != _generation)
            {
                return null; // superseded by a rewind
            }

            _done.Add(offset);
            while (_admitted.Count > 0 && _done.Remove(_admitted.Peek()))
            {
                var passed = _admitted.Dequeue();
                _refused.Remove(passed);
            }

            if (WantPaused && _admitted.Count - _done.Count <= maxInFlight / 2 && _admitted.Count <= maxUncommitted / 2)
            {
                WantPaused = false;
                if (_capped && _next is { } from)
                {
                    // Records past the cap were dropped: read them again, in order.
                    _capped = false;
                    _rewinding = true;
                    return from;
                }
            }

            return null;
        }
    }

    /// <summary>The journal refused the record at <paramref name="offset"/>: when it comes again (after a rewind) it goes to the dead-letter store, not to its entity.</summary>
    public void Refuse(long offset)
    {
        lock (_lock)
        {
            _refused.Add(offset);
        }
    }

    /// <summary>
    /// Stream: a delivery of <paramref name="generation"/> failed. The first failure of a
    /// generation moves the track to the next one and returns the offset to seek to (the
    /// watermark); nothing is admitted until the consume thread has sought
    /// (<see cref="EndRewind"/>). Null when the generation was superseded already, or the
    /// partition is being given up (then the track is abandoned instead).
    /// </summary>
    public long? BeginRewind(long generation)
    {
        lock (_lock)
        {
            if (generation != _generation || _rewinding)
            {
                return null;
            }

            _generation++;
            if (Revoking)
            {
                Abandoned = true;
                return null;
            }

            var from = _admitted.Count > 0 ? _admitted.Peek() : _next ?? 0;
            _admitted.Clear();
            _done.Clear();
            _next = from;
            _rewinding = true;
            _capped = false;
            WantPaused = false;
            return from;
        }
    }

    /// <summary>Consume thread: the consumer has sought to the watermark; records read from now on carry the next epoch.</summary>
    public void EndRewind()
    {
        lock (_lock)
        {
            _epoch++;
            _rewinding = false;
        }
    }

    /// <summary>Consume thread: the partition is being given up.</summary>
    public void BeginRevoke()
    {
        lock (_lock)
        {
            Revoking = true;
        }
    }
}
