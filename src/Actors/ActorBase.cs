using Coordinator.Actors.Core;
using Coordinator.Actors.Supervision;

namespace Coordinator.Actors;

/// <summary>
/// Base of every actor. An instance is made by its <see cref="Props"/> inside the runtime
/// (never with <c>new</c> elsewhere), processes one message at a time, and is replaced by a
/// fresh instance when its supervisor restarts it.
/// </summary>
public abstract class ActorBase
{
    private readonly ActorCell _cell;

    /// <summary>Binds the instance to the actor cell that is creating it.</summary>
    /// <exception cref="InvalidOperationException">The actor was created outside <c>ActorOf</c>.</exception>
    protected ActorBase()
    {
        _cell = ActorCell.CurrentlyCreating
            ?? throw new InvalidOperationException($"Actor {GetType().Name} was constructed directly; create actors through Props and ActorOf (system.ActorOf(Props.Create<{GetType().Name}>())).");
    }

    internal ActorCell Cell => _cell;

    internal Receive InitialBehavior => Receive;

    internal virtual void AroundPreStart() => PreStart();

    internal void AroundPostStop() => PostStop();

    internal void AroundPreRestart(Exception reason, object? message) => PreRestart(reason, message);

    internal virtual void AroundPostRestart(Exception reason) => PostRestart(reason);

    internal SupervisorStrategy? AroundSupervisorStrategy() => SupervisorStrategy();

    internal void AroundUnhandled(object message) => Unhandled(message);

    /// <summary>This actor's context: children, watch, become, timeouts.</summary>
    protected IActorContext Context => _cell;

    /// <summary>This actor.</summary>
    protected IActorRef Self => _cell.Self;

    /// <summary>The sender of the message being processed (dead letters when there is none).</summary>
    protected IActorRef Sender => _cell.Sender;

    /// <summary>Handles a message; returns false if it was not handled.</summary>
    protected abstract bool Receive(object message);

    /// <summary>Runs before the first message (and, by default, after a restart).</summary>
    protected virtual void PreStart()
    {
    }

    /// <summary>Runs after the actor stopped; its children have stopped already.</summary>
    protected virtual void PostStop()
    {
    }

    /// <summary>
    /// Runs on the failed instance before a restart. By default stops all children and calls
    /// <see cref="PostStop"/>.
    /// </summary>
    /// <param name="reason">Why the actor failed.</param>
    /// <param name="message">The message being processed when it failed, if any.</param>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.GetChildren())
        {
            Context.Stop(child);
        }

        PostStop();
    }

    /// <summary>Runs on the fresh instance after a restart. By default calls <see cref="PreStart"/>.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>
    /// The strategy that supervises this actor's children. Called once per incarnation.
    /// <value>Default: null, meaning the props' strategy or else <see cref="Supervision.SupervisorStrategy.DefaultStrategy"/>.</value>
    /// </summary>
    protected virtual SupervisorStrategy? SupervisorStrategy() => null;

    /// <summary>
    /// Called for messages no behaviour handled. A <see cref="Terminated"/> raises
    /// <see cref="DeathPactException"/>; anything else is published as an
    /// <see cref="Events.UnhandledMessage"/>.
    /// </summary>
    protected virtual void Unhandled(object message)
    {
        if (message is Terminated terminated)
        {
            throw new DeathPactException(terminated.ActorRef);
        }

        _cell.PublishUnhandled(message);
    }

    /// <summary>Replaces the current behaviour (shorthand for <c>Context.Become</c>).</summary>
    protected void Become(Receive receive) => _cell.Become(receive);

    /// <summary>Pushes a behaviour (shorthand for <c>Context.BecomeStacked</c>).</summary>
    protected void BecomeStacked(Receive receive) => _cell.BecomeStacked(receive);

    /// <summary>Pops a behaviour (shorthand for <c>Context.UnbecomeStacked</c>).</summary>
    protected void UnbecomeStacked() => _cell.UnbecomeStacked();
}

/// <summary>
/// An actor with one <see cref="OnReceive"/> method, usually a <c>switch</c> on the message
/// type: the fastest kind. Call <see cref="ActorBase.Unhandled"/> for what it does not handle.
/// </summary>
public abstract class UntypedActor : ActorBase
{
    /// <summary>Handles a message.</summary>
    protected abstract void OnReceive(object message);

    /// <inheritdoc />
    protected sealed override bool Receive(object message)
    {
        OnReceive(message);
        return true;
    }
}
