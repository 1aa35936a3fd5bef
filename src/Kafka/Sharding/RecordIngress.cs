using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using Coordinator.Kafka.Ingress;

namespace Coordinator.Kafka.Sharding;

/// <summary>
/// The sharded ingress of one actor system: the record contracts its entities read under, its
/// metrics, and its <see cref="RecordGate"/>. Register it once (see
/// <see cref="Register"/>) before the first <see cref="RecordEntity"/> starts.
/// </summary>
public sealed class RecordIngress : IExtension
{
    private RecordIngress(ExtendedActorSystem system, RecordContracts contracts, TimeProvider time)
    {
        Contracts = contracts;
        Time = time;
        Metrics = new IngressMetrics(system.Name, meterFactory: null);
        Gate = new RecordGate();
        Address = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        var listener = system.SystemActorOf(Props.Create(() => new UndeliveredListener(Gate, Metrics, Address)), "record-ingress-dead-letters");
        system.EventStream.Subscribe(listener, typeof(DeadLetter));
        _ = system.WhenTerminated.ContinueWith(_ => Metrics.Dispose(), TaskScheduler.Default);
    }

    /// <summary>The contracts records are read under.</summary>
    public RecordContracts Contracts { get; }

    /// <summary>The clock of the ingress's timings (and of dead letters' timestamps).</summary>
    public TimeProvider Time { get; }

    /// <summary>Totals and instruments (<c>coordinator.ingress.*</c>).</summary>
    public IngressMetrics Metrics { get; }

    /// <summary>Which deliveries may still be applied on this node.</summary>
    public RecordGate Gate { get; }

    /// <summary>The record entities active on this node, with the cap on them.</summary>
    public ActiveEntities Active { get; } = new();

    /// <summary>This node's cluster address, as acknowledgements name it.</summary>
    public string Address { get; }

    /// <summary>Registers the ingress with <paramref name="system"/> (a cluster system).</summary>
    /// <exception cref="InvalidOperationException">It is registered already with other contracts.</exception>
    /// <param name="system">The actor system.</param>
    /// <param name="contracts">The contracts records are read under.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public static RecordIngress Register(ActorSystem system, RecordContracts contracts, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(contracts);
        var extension = (RecordIngress)system.RegisterExtension(new Id(contracts, time ?? TimeProvider.System));
        if (!ReferenceEquals(extension.Contracts, contracts))
        {
            throw new InvalidOperationException($"The record ingress is already registered for actor system {system.Name} with other contracts; register it once.");
        }

        return extension;
    }

    /// <summary>The ingress of <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">It was not registered.</exception>
    public static RecordIngress Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.GetExtension<RecordIngress>()
            ?? throw new InvalidOperationException($"The record ingress is not registered for actor system {system.Name}; call RecordIngress.Register(system, contracts) (or WithRecordIngress on the Akka.Hosting builder) before starting record entities.");
    }

    private sealed class Id(RecordContracts contracts, TimeProvider time) : ExtensionIdProvider<RecordIngress>
    {
        public override RecordIngress CreateExtension(ExtendedActorSystem system) => new(system, contracts, time);
    }

    /// <summary>
    /// A delivery that went to dead letters (its entity had stopped after a failed write, or a
    /// region's buffer was full) is answered as undeliverable at once, so its partition is
    /// rewound now rather than at the ask's timeout; and it supersedes its generation here, so
    /// nothing sent after it is applied ahead of it.
    /// </summary>
    private sealed class UndeliveredListener : ReceiveActor
    {
        public UndeliveredListener(RecordGate gate, IngressMetrics metrics, string address)
        {
            Receive<DeadLetter>(letter =>
            {
                if (letter.Message is RecordDelivery delivery && !letter.Sender.IsNobody())
                {
                    gate.Supersede(delivery.Track, delivery.Generation);
                    metrics.RecordStale();
                    letter.Sender.Tell(new RecordAck(delivery.Topic, delivery.Partition, delivery.Offset, RecordOutcome.Undeliverable, "The delivery went to dead letters: its entity had stopped, or a buffer on the way was full.", address));
                }
            });
        }
    }
}

/// <summary>
/// Which deliveries may still be applied on this node: per track (one consumer's hold on one
/// partition), the lowest generation still current. A failure supersedes its generation
/// <em>before</em> it is reported, in the thread that saw it, so a delivery sent after the
/// failure (already in a mailbox, or reaching a new incarnation of the entity) is refused as
/// stale, and no later record is applied ahead of the one that failed. The ingress moves to
/// the next generation when it rewinds.
/// </summary>
public sealed class RecordGate
{
    private const int MaxTracks = 16_384;
    private readonly ConcurrentDictionary<Guid, long> _lowest = new();
    private readonly ConcurrentQueue<Guid> _order = new();

    /// <summary>Whether a delivery of <paramref name="generation"/> under <paramref name="track"/> may be applied.</summary>
    public bool IsCurrent(Guid track, long generation) => !_lowest.TryGetValue(track, out var lowest) || generation >= lowest;

    /// <summary>Every delivery of <paramref name="generation"/> or earlier under <paramref name="track"/> is stale from now on.</summary>
    public void Supersede(Guid track, long generation) => Raise(track, generation == long.MaxValue ? long.MaxValue : generation + 1);

    /// <summary>The partition was given up: no delivery under <paramref name="track"/> is applied any more.</summary>
    public void Retire(Guid track) => Raise(track, long.MaxValue);

    private void Raise(Guid track, long lowest)
    {
        if (_lowest.TryAdd(track, lowest))
        {
            _order.Enqueue(track);
            while (_lowest.Count > MaxTracks && _order.TryDequeue(out var oldest))
            {
                _lowest.TryRemove(oldest, out _); // tracks of partitions given up long ago
            }

            return;
        }

        _lowest.AddOrUpdate(track, lowest, (_, current) => Math.Max(current, lowest));
    }
}
