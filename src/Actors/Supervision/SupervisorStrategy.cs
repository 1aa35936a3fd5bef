using Coordinator.Actors.Core;

namespace Coordinator.Actors.Supervision;

/// <summary>What a supervisor does with a failed child.</summary>
public enum Directive
{
    /// <summary>Keep the child's instance and state, and go on with the next message.</summary>
    Resume,

    /// <summary>Replace the child's instance with a fresh one from its props (state is lost; the mailbox is kept).</summary>
    Restart,

    /// <summary>Stop the child.</summary>
    Stop,

    /// <summary>Fail the supervisor itself with the child's exception, so that its own parent decides.</summary>
    Escalate,
}

/// <summary>Maps a child's exception to a <see cref="Directive"/>.</summary>
public delegate Directive Decider(Exception cause);

/// <summary>
/// How a parent handles its children's failures. A <see cref="Decider"/> picks the directive;
/// restarts are limited to <see cref="MaxNrOfRetries"/> within <see cref="WithinTimeRange"/>,
/// past which the child is stopped. <see cref="OneForOneStrategy"/> applies the directive to the
/// failed child, <see cref="AllForOneStrategy"/> to all its siblings too.
/// </summary>
public abstract class SupervisorStrategy
{
    /// <summary>Creates a strategy.</summary>
    /// <param name="maxNrOfRetries">Restarts allowed per child within <paramref name="withinTimeRange"/>; -1 for no limit; 0 stops at the first failure.</param>
    /// <param name="withinTimeRange">The window for <paramref name="maxNrOfRetries"/>; null for a lifetime count.</param>
    /// <param name="decider">Maps exceptions to directives.</param>
    protected SupervisorStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Decider decider)
    {
        ArgumentNullException.ThrowIfNull(decider);
        if (maxNrOfRetries < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxNrOfRetries), maxNrOfRetries, "Use -1 for unlimited restarts, or a count of 0 or more.");
        }

        if (withinTimeRange is { } window && window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(withinTimeRange), window, "The retry window must be positive, or null for a lifetime count.");
        }

        MaxNrOfRetries = maxNrOfRetries;
        WithinTimeRange = withinTimeRange;
        Decider = decider;
    }

    /// <summary>Restarts allowed per child within <see cref="WithinTimeRange"/>; -1 means no limit.</summary>
    public int MaxNrOfRetries { get; }

    /// <summary>The window the retry count applies to; null means the child's lifetime.</summary>
    public TimeSpan? WithinTimeRange { get; }

    /// <summary>Maps exceptions to directives.</summary>
    public Decider Decider { get; }

    /// <summary>
    /// Akka.NET's default decider: <see cref="ActorInitializationException"/>,
    /// <see cref="ActorKilledException"/> and <see cref="DeathPactException"/> stop the child;
    /// any other exception restarts it.
    /// </summary>
    public static Directive DefaultDecider(Exception cause) => cause switch
    {
        ActorInitializationException => Directive.Stop,
        ActorKilledException => Directive.Stop,
        DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>One-for-one with <see cref="DefaultDecider"/> and no restart limit.</summary>
    public static SupervisorStrategy DefaultStrategy { get; } = new OneForOneStrategy(DefaultDecider);

    /// <summary>One-for-one that stops every failing child.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = new OneForOneStrategy(static _ => Directive.Stop);

    /// <summary>Applies a restart or stop to the failed child, or to it and its siblings.</summary>
    private protected abstract void ProcessFailure(ActorCell parent, bool restart, ActorCell child, Exception cause);

    internal void HandleChildFailure(ActorCell parent, ActorCell child, Exception cause)
    {
        var directive = Decider(cause);
        if (directive == Directive.Escalate && parent.IsGuardian)
        {
            // A guardian has nobody to escalate to: it logs and stops the failing actor.
            parent.SystemImpl.Log.EscalatedToGuardian(cause, child.SelfRef.Path.ToString());
            directive = Directive.Stop;
        }

        parent.SystemImpl.OnChildFailure(child, cause, directive);
        switch (directive)
        {
            case Directive.Resume:
                child.SendSystemMessage(new Resume(cause));
                break;
            case Directive.Restart:
                ProcessFailure(parent, restart: true, child, cause);
                break;
            case Directive.Stop:
                ProcessFailure(parent, restart: false, child, cause);
                break;
            case Directive.Escalate:
                parent.Escalate(cause);
                break;
        }
    }

    private protected static void RestartChild(ActorCell child, Exception cause)
    {
        child.SystemImpl.Metrics.Restart();
        child.SendSystemMessage(new Recreate(cause));
    }

    /// <summary>Counts a restart against the limit; false when the child has used up its retries.</summary>
    private protected bool RequestRestartPermission(ActorCell child)
    {
        if (MaxNrOfRetries < 0 && WithinTimeRange is null)
        {
            return true;
        }

        if (MaxNrOfRetries == 0)
        {
            return false;
        }

        if (WithinTimeRange is not { } window)
        {
            child.RestartCount++;
            return child.RestartCount <= MaxNrOfRetries;
        }

        var time = child.SystemImpl.TimeProvider;
        var now = time.GetTimestamp();
        if (child.RestartCount == 0 || time.GetElapsedTime(child.RestartWindowStart, now) > window)
        {
            child.RestartWindowStart = now;
            child.RestartCount = 1;
            return true;
        }

        child.RestartCount++;
        return MaxNrOfRetries < 0 || child.RestartCount <= MaxNrOfRetries;
    }
}

/// <summary>Applies the directive to the failed child only.</summary>
public sealed class OneForOneStrategy : SupervisorStrategy
{
    /// <summary>One-for-one with a restart limit.</summary>
    public OneForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Decider decider)
        : base(maxNrOfRetries, withinTimeRange, decider)
    {
    }

    /// <summary>One-for-one without a restart limit.</summary>
    public OneForOneStrategy(Decider decider)
        : base(-1, null, decider)
    {
    }

    private protected override void ProcessFailure(ActorCell parent, bool restart, ActorCell child, Exception cause)
    {
        if (restart && RequestRestartPermission(child))
        {
            RestartChild(child, cause);
        }
        else
        {
            parent.StopChild(child);
        }
    }
}

/// <summary>
/// Applies a restart or stop to the failed child and all its siblings (for children that only
/// make sense together). Resume applies to the failed child only.
/// </summary>
public sealed class AllForOneStrategy : SupervisorStrategy
{
    /// <summary>All-for-one with a restart limit.</summary>
    public AllForOneStrategy(int maxNrOfRetries, TimeSpan? withinTimeRange, Decider decider)
        : base(maxNrOfRetries, withinTimeRange, decider)
    {
    }

    /// <summary>All-for-one without a restart limit.</summary>
    public AllForOneStrategy(Decider decider)
        : base(-1, null, decider)
    {
    }

    private protected override void ProcessFailure(ActorCell parent, bool restart, ActorCell child, Exception cause)
    {
        var children = parent.ChildCells();
        if (restart && children.TrueForAll(RequestRestartPermission))
        {
            foreach (var sibling in children)
            {
                RestartChild(sibling, cause);
            }
        }
        else
        {
            foreach (var sibling in children)
            {
                parent.StopChild(sibling);
            }
        }
    }
}
