using Akka.Actor;

namespace Coordinator.Kafka.Sharding;

/// <summary>
/// The record entities active on this node, least recently used last. Akka.NET 1.5's sharding
/// passivates idle entities but has no cap on active ones, so a burst over many keys could hold
/// them all in memory until they go idle; past <see cref="Limit"/> the least recently used entity
/// is asked to passivate (it finishes its write first and recovers on its next message).
/// One lock, one dictionary and one linked list: O(1) per record.
/// </summary>
public sealed class ActiveEntities
{
    private readonly object _lock = new();
    private readonly Dictionary<IActorRef, LinkedListNode<IActorRef>> _nodes = [];
    private readonly LinkedList<IActorRef> _order = new();
    private long _evicted;

    /// <summary>Most active entities before the least recently used is passivated. <value>Default: 100,000.</value></summary>
    public int Limit { get; set; } = 100_000;

    /// <summary>Entities active now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count;
            }
        }
    }

    /// <summary>Entities passivated because the limit was reached.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary><paramref name="entity"/> is used now; returns the entity to passivate when the limit is passed, else null.</summary>
    public IActorRef? Touch(IActorRef entity)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(entity, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return null;
            }

            _nodes[entity] = _order.AddFirst(entity);
            if (_nodes.Count <= Limit || _order.Last is not { } last || ReferenceEquals(last.Value, entity))
            {
                return null;
            }

            _order.RemoveLast();
            _nodes.Remove(last.Value);
            Interlocked.Increment(ref _evicted);
            return last.Value;
        }
    }

    /// <summary><paramref name="entity"/> stopped or is passivating.</summary>
    public void Remove(IActorRef entity)
    {
        lock (_lock)
        {
            if (_nodes.Remove(entity, out var node))
            {
                _order.Remove(node);
            }
        }
    }
}
