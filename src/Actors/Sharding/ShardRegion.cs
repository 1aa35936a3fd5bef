using Coordinator.Actors.Events;

namespace Coordinator.Actors.Sharding;

/// <summary>
/// Runs the entities of one type on this node (Akka.NET's shard region). A message is routed by
/// its entity id: the entity starts on its first message and comes back transparently after it
/// was passivated. Entities are passivated when idle for
/// <see cref="ShardingSettings.PassivateIdleAfter"/>, and the least recently used one when
/// <see cref="ShardingSettings.MaxActiveEntities"/> is reached, so memory stays bounded.
/// Messages arriving for an entity that is stopping are kept (bounded) and delivered, in order,
/// to its next incarnation. Shards are Kafka partitions: <see cref="HandOffShard"/> stops a
/// revoked partition's entities.
/// </summary>
public sealed class ShardRegion : UntypedActor, IWithTimers
{
    private readonly Func<string, Props> _entityProps;
    private readonly IMessageExtractor _extractor;
    private readonly ShardingSettings _settings;
    private readonly Dictionary<string, Entry> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, Entry> _byRef = [];
    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<int, List<IActorRef>> _handOffs = [];
    private int _active;

    private ShardRegion(Func<string, Props> entityProps, IMessageExtractor extractor, ShardingSettings settings)
    {
        _entityProps = entityProps;
        _extractor = extractor;
        _settings = settings;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props of a region whose entities are made by <paramref name="entityProps"/> from their id.</summary>
    public static Props Props(Func<string, Props> entityProps, IMessageExtractor extractor, ShardingSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(entityProps);
        ArgumentNullException.ThrowIfNull(extractor);
        settings ??= new ShardingSettings();
        settings.Validate();
        return Actors.Props.Create(() => new ShardRegion(entityProps, extractor, settings));
    }

    /// <summary>The actor name an entity id maps to (ids may contain any character).</summary>
    public static string EntityActorName(string entityId) => Uri.EscapeDataString(entityId);

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (_settings.PassivateIdleAfter is { } idle)
        {
            var every = TimeSpan.FromTicks(Math.Max(idle.Ticks / 2, TimeSpan.TicksPerMillisecond));
            Timers.StartPeriodicTimer("passivate-idle", PassivateIdleTick.Instance, every);
        }
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Terminated terminated:
                OnEntityTerminated(terminated.ActorRef);
                break;
            case Passivate passivate when _byRef.TryGetValue(Sender, out var entry):
                BeginPassivation(entry, passivate.StopMessage);
                break;
            case GetShardRegionState:
                Sender.Tell(State());
                break;
            case HandOffShard handOff:
                HandOff(handOff.ShardId);
                break;
            case PassivateIdleTick:
                PassivateIdle();
                break;
            default:
                Deliver(message);
                break;
        }
    }

    private void Deliver(object message)
    {
        var entityId = _extractor.EntityId(message);
        if (string.IsNullOrEmpty(entityId))
        {
            Context.System.DeadLetters.Tell(new DeadLetter(message, Sender, Self, $"no entity id: the region's message extractor found none in {message.GetType().Name}; send a message it understands (e.g. ShardEnvelope)"), Sender);
            return;
        }

        var payload = _extractor.EntityMessage(message);
        if (!_entities.TryGetValue(entityId, out var entry))
        {
            entry = Start(entityId, _extractor.ShardId(entityId, message));
        }

        Touch(entry);
        if (entry.Passivating)
        {
            Buffer(entry, payload, Sender);
        }
        else
        {
            entry.Ref!.Tell(payload, Sender);
        }
    }

    private Entry Start(string entityId, int shardId)
    {
        if (_active >= _settings.MaxActiveEntities)
        {
            // Make room: the least recently used entity that is not already stopping.
            for (var node = _recency.First; node is not null; node = node.Next)
            {
                if (!node.Value.Passivating)
                {
                    BeginPassivation(node.Value, _settings.StopMessage);
                    break;
                }
            }
        }

        var entry = new Entry(entityId, shardId);
        entry.Node = _recency.AddLast(entry);
        _entities[entityId] = entry;
        Spawn(entry);
        return entry;
    }

    private void Spawn(Entry entry)
    {
        entry.Ref = Context.Watch(Context.ActorOf(_entityProps(entry.Id), EntityActorName(entry.Id)));
        entry.Passivating = false;
        _byRef[entry.Ref] = entry;
        _active++;
    }

    private void Touch(Entry entry)
    {
        entry.LastActivity = Context.System.TimeProvider.GetTimestamp();
        _recency.Remove(entry.Node!);
        _recency.AddLast(entry.Node!);
    }

    private void BeginPassivation(Entry entry, object stopMessage)
    {
        if (entry.Passivating || entry.Ref is null)
        {
            return;
        }

        entry.Passivating = true;
        _active--;
        entry.Ref.Tell(stopMessage, Self);
    }

    private void Buffer(Entry entry, object message, IActorRef sender)
    {
        var buffer = entry.Buffer ??= new Queue<(object, IActorRef)>();
        if (buffer.Count >= _settings.MaxBufferedPerEntity)
        {
            Context.System.DeadLetters.Tell(new DeadLetter(message, sender, Self, $"entity '{entry.Id}' is stopping and already has {buffer.Count} messages waiting (ShardingSettings.MaxBufferedPerEntity)"), sender);
            return;
        }

        buffer.Enqueue((message, sender));
    }

    private void OnEntityTerminated(IActorRef actor)
    {
        if (!_byRef.Remove(actor, out var entry))
        {
            return;
        }

        if (!entry.Passivating)
        {
            _active--; // it stopped by itself (or failed and was stopped)
        }

        entry.Ref = null;
        if (entry.Buffer is { Count: > 0 } buffer && !_handOffs.ContainsKey(entry.ShardId))
        {
            // Messages arrived while it stopped: bring it back and deliver them in order.
            entry.Buffer = null;
            Spawn(entry);
            foreach (var (message, sender) in buffer)
            {
                entry.Ref!.Tell(message, sender);
            }

            return;
        }

        if (entry.Buffer is { Count: > 0 } dropped)
        {
            foreach (var (message, sender) in dropped)
            {
                Context.System.DeadLetters.Tell(new DeadLetter(message, sender, Self, $"shard {entry.ShardId} of entity '{entry.Id}' was handed off"), sender);
            }
        }

        _entities.Remove(entry.Id);
        _recency.Remove(entry.Node!);
        CompleteHandOffIfDone(entry.ShardId);
    }

    private void HandOff(int shardId)
    {
        var waiters = _handOffs.TryGetValue(shardId, out var existing) ? existing : _handOffs[shardId] = [];
        waiters.Add(Sender);
        foreach (var entry in _entities.Values.Where(e => e.ShardId == shardId).ToList())
        {
            BeginPassivation(entry, _settings.StopMessage);
        }

        CompleteHandOffIfDone(shardId);
    }

    private void CompleteHandOffIfDone(int shardId)
    {
        if (_handOffs.TryGetValue(shardId, out var waiters) && !_entities.Values.Any(e => e.ShardId == shardId))
        {
            _handOffs.Remove(shardId);
            foreach (var waiter in waiters)
            {
                waiter.Tell(new ShardStopped(shardId), Self);
            }
        }
    }

    private void PassivateIdle()
    {
        if (_settings.PassivateIdleAfter is not { } idle)
        {
            return;
        }

        var time = Context.System.TimeProvider;
        var now = time.GetTimestamp();

        // Oldest first: stop at the first entity that is still fresh.
        for (var node = _recency.First; node is not null; node = node.Next)
        {
            if (time.GetElapsedTime(node.Value.LastActivity, now) < idle)
            {
                break;
            }

            BeginPassivation(node.Value, _settings.StopMessage);
        }
    }

    private CurrentShardRegionState State() => new(
        [.. _entities.Values
            .Where(e => e.Ref is not null && !e.Passivating)
            .GroupBy(e => e.ShardId)
            .OrderBy(g => g.Key)
            .Select(g => new ShardState(g.Key, [.. g.Select(e => e.Id).Order(StringComparer.Ordinal)]))]);

    private sealed class Entry(string id, int shardId)
    {
        public string Id { get; } = id;

        public int ShardId { get; } = shardId;

        public IActorRef? Ref { get; set; }

        public LinkedListNode<Entry>? Node { get; set; }

        public long LastActivity { get; set; }

        public bool Passivating { get; set; }

        public Queue<(object Message, IActorRef Sender)>? Buffer { get; set; }
    }

    private sealed class PassivateIdleTick
    {
        public static readonly PassivateIdleTick Instance = new();
    }
}
