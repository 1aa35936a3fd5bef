using Coordinator.Actors.Dispatch;
using Coordinator.Actors.Supervision;

namespace Coordinator.Actors;

/// <summary>
/// The recipe for an actor: how to make an instance (again, on every restart), which mailbox it
/// gets, how many messages it may process per turn, and how it supervises its children.
/// Immutable: the <c>With…</c> methods return copies.
/// </summary>
public sealed class Props
{
    private Props(Type actorType, Func<ActorBase> factory)
    {
        ActorType = actorType;
        Factory = factory;
    }

    /// <summary>The actor's CLR type.</summary>
    public Type ActorType { get; }

    /// <summary>The mailbox the actor gets. <value>Default: unbounded.</value></summary>
    public MailboxOptions Mailbox { get; private init; } = MailboxOptions.Unbounded;

    /// <summary>
    /// Strategy for the actor's children, overriding the actor's own
    /// <see cref="ActorBase.SupervisorStrategy"/>. <value>Default: null (the actor's, else the default strategy).</value>
    /// </summary>
    public SupervisorStrategy? SupervisorStrategy { get; private init; }

    /// <summary>
    /// Messages processed per turn on a thread before the actor yields the thread to others.
    /// <value>Default: null, meaning <see cref="ActorSystemSettings.Throughput"/>.</value>
    /// </summary>
    public int? Throughput { get; private init; }

    internal Func<ActorBase> Factory { get; }

    /// <summary>Props for an actor made with its parameterless constructor.</summary>
    public static Props Create<TActor>()
        where TActor : ActorBase, new()
        => new(typeof(TActor), static () => new TActor());

    /// <summary>Props for an actor made by <paramref name="factory"/>; it is called again on every restart, so it must return a new instance each time.</summary>
    public static Props Create<TActor>(Func<TActor> factory)
        where TActor : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(TActor), factory);
    }

    /// <summary>A copy with another mailbox.</summary>
    public Props WithMailbox(MailboxOptions mailbox)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return new Props(ActorType, Factory) { Mailbox = mailbox, SupervisorStrategy = SupervisorStrategy, Throughput = Throughput };
    }

    /// <summary>A copy whose children are supervised by <paramref name="strategy"/>.</summary>
    public Props WithSupervisorStrategy(SupervisorStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new Props(ActorType, Factory) { Mailbox = Mailbox, SupervisorStrategy = strategy, Throughput = Throughput };
    }

    /// <summary>A copy that processes at most <paramref name="messagesPerTurn"/> messages per turn.</summary>
    public Props WithThroughput(int messagesPerTurn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messagesPerTurn, 1);
        return new Props(ActorType, Factory) { Mailbox = Mailbox, SupervisorStrategy = SupervisorStrategy, Throughput = messagesPerTurn };
    }

    /// <inheritdoc />
    public override string ToString() => $"Props({ActorType.Name}, {Mailbox})";
}
