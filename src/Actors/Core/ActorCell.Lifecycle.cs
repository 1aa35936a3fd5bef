using System.Globalization;

namespace Coordinator.Actors.Core;

/// <summary>
/// Creation, failure, restart and stop, as in Akka.NET: a failing actor suspends itself and its
/// children and asks its parent; a restart runs <c>PreRestart</c> on the failed instance, waits
/// for the children it stopped, then makes a fresh instance from the props; a stop stops the
/// children first, then runs <c>PostStop</c> and tells the parent and every watcher.
/// </summary>
internal sealed partial class ActorCell
{
    internal bool IsGuardian { get; set; }

    private void HandleCreate()
    {
        try
        {
            _actor = NewActorInstance();
            _actor.AroundPreStart();
            SystemImpl.OnActorStarted(this);
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(SelfRef.Path, $"{_props.ActorType.Name} failed to start: {ex.Message}", ex));
        }
    }

    /// <summary>User code of this actor threw: suspend, suspend the children, and ask the parent.</summary>
    internal void HandleInvokeFailure(Exception cause)
    {
        if (_terminated)
        {
            SystemImpl.Log.FailureAfterStop(cause, SelfRef.Path.ToString());
            return;
        }

        var x = X;
        if (x.Failure is not null)
        {
            SystemImpl.Log.FailureWhileFailed(cause, SelfRef.Path.ToString());
            return;
        }

        x.Failure = cause;
        x.FailedMessage = _currentMessage;
        _suspendCount++;
        SendToChildren(static () => new Suspend());
        SystemImpl.Metrics.Failure();
        if (ParentCell is { } parent)
        {
            parent.SendSystemMessage(new Failed(SelfRef, cause, SelfRef.Path.Uid));
        }
        else
        {
            SystemImpl.OnRootFailure(cause);
        }
    }

    private void HandleFailed(Failed failed)
    {
        var child = failed.Child;
        if (!IsCurrentChild(child) || child.Cell.StoppingByParent)
        {
            return; // a stale failure of an earlier incarnation, or of a child already stopping
        }

        GetSupervisorStrategy().HandleChildFailure(this, child.Cell, failed.Cause);
    }

    /// <summary>The parent's strategy said Escalate: fail this actor with the child's cause.</summary>
    internal void Escalate(Exception cause) => HandleInvokeFailure(cause);

    private void HandleSuspend()
    {
        _suspendCount++;
        SendToChildren(static () => new Suspend());
    }

    private void HandleResume(Exception? causedByFailure)
    {
        if (causedByFailure is not null)
        {
            if (_x?.Failure is null)
            {
                return;
            }

            _x.Failure = null;
            _x.FailedMessage = null;
        }

        if (_suspendCount > 0)
        {
            _suspendCount--;
        }

        SendToChildren(static () => new Resume(null));
    }

    private void HandleRecreate(Exception cause)
    {
        if (_terminating)
        {
            return;
        }

        var x = X;
        var failedActor = _actor;
        CancelTimersAndReceiveTimeout();
        if (failedActor is not null)
        {
            UnstashAll();
            try
            {
                failedActor.AroundPreRestart(cause, x.FailedMessage);
            }
            catch (Exception ex)
            {
                SystemImpl.Log.PreRestartFailed(ex, SelfRef.Path.ToString());
            }
        }

        if (HasStoppingChildren())
        {
            x.WaitingToRecreate = cause;
            return;
        }

        FinishRecreate(cause);
    }

    private void FinishRecreate(Exception cause)
    {
        var x = X;
        x.WaitingToRecreate = null;
        var survivors = ChildSnapshot(includeStopping: false);
        try
        {
            _actor = null;
            _actor = NewActorInstance();
            x.Failure = null;
            x.FailedMessage = null;
            _suspendCount = 0;
            _actor.AroundPostRestart(cause);
            SystemImpl.OnActorRestarted(this, cause);
            foreach (var child in survivors)
            {
                child.SendSystemMessage(new Recreate(cause));
            }
        }
        catch (Exception ex)
        {
            x.Failure = null;
            HandleInvokeFailure(new ActorInitializationException(SelfRef.Path, $"{_props.ActorType.Name} failed to restart: {ex.Message}", ex));
        }
    }

    private void HandleTerminate()
    {
        if (_terminating)
        {
            return;
        }

        _terminating = true;
        if (_x is { } x)
        {
            if (x.Watching is { Count: > 0 } watching)
            {
                foreach (var subject in watching)
                {
                    if (subject is IInternalActorRef target)
                    {
                        target.SendSystemMessage(new Unwatch(target, SelfRef));
                    }
                }

                watching.Clear();
            }

            CancelTimersAndReceiveTimeout();
            if (x.Children is { } children)
            {
                foreach (var child in ChildSnapshot(includeStopping: true))
                {
                    MarkChildStopping(child);
                    child.SendSystemMessage(new Terminate());
                }

                lock (children)
                {
                    if (children.Count > 0)
                    {
                        x.WaitingToTerminate = true;
                        return;
                    }
                }
            }
        }

        FinishTerminate();
    }

    private void FinishTerminate()
    {
        var actor = _actor;
        try
        {
            actor?.AroundPostStop();
        }
        catch (Exception ex)
        {
            SystemImpl.Log.PostStopFailed(ex, SelfRef.Path.ToString());
        }
        finally
        {
            _actor = null;
            _behavior = static _ => false;
            if (_x is { } x)
            {
                x.WaitingToTerminate = false;
                if (x.Stash is { } stash)
                {
                    foreach (var stashed in stash)
                    {
                        SystemImpl.DeadLetter(stashed.Message, stashed.Sender, SelfRef, reason: null);
                    }

                    stash.Clear();
                }

                x.Deferred = null;
            }

            _terminated = true;
            DrainToDeadLetters();
            TellWatchersWeDied();
            SystemImpl.OnActorStopped(this);
            _room?.SignalAll();
        }
    }

    private void TellWatchersWeDied()
    {
        var parent = ParentCell?.SelfRef;
        var parentNotified = false;
        if (_x?.WatchedBy is { } watchers)
        {
            foreach (var watcher in watchers)
            {
                watcher.SendSystemMessage(new DeathWatchNotification(SelfRef, existenceConfirmed: true));
                parentNotified |= watcher.Equals(parent);
            }

            watchers.Clear();
        }

        if (parent is not null && !parentNotified)
        {
            parent.SendSystemMessage(new DeathWatchNotification(SelfRef, existenceConfirmed: true));
        }
    }

    private void HandleWatch(Watch watch)
    {
        if (watch.Watchee.Equals(SelfRef) && !watch.Watcher.Equals(SelfRef))
        {
            (X.WatchedBy ??= []).Add(watch.Watcher);
        }
    }

    private void HandleUnwatch(Unwatch unwatch) => _x?.WatchedBy?.Remove(unwatch.Watcher);

    private void HandleDeathWatchNotification(DeathWatchNotification notification)
    {
        var actor = notification.Actor;
        if (actor is LocalActorRef child && child.Cell.ParentCell == this)
        {
            HandleChildTerminated(child);
        }

        if (_x?.Watching?.Contains(actor) == true)
        {
            Post(new Terminated(actor, notification.ExistenceConfirmed), actor);
        }
    }

    private void HandleChildTerminated(LocalActorRef child)
    {
        var x = X;
        var children = x.Children;
        if (children is null)
        {
            return;
        }

        int remaining;
        lock (children)
        {
            if (children.TryGetValue(child.Path.Name, out var current) && ReferenceEquals(current, child))
            {
                children.Remove(child.Path.Name);
            }

            remaining = children.Count;
        }

        if (x.WaitingToTerminate && remaining == 0)
        {
            FinishTerminate();
        }
        else if (x.WaitingToRecreate is { } cause && !HasStoppingChildren())
        {
            FinishRecreate(cause);
        }
    }

    internal LocalActorRef MakeChild(Props props, string? name)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is not null)
        {
            ActorPath.ValidateName(name);
        }

        var x = X;
        var children = x.Children ?? Interlocked.CompareExchange(ref x.Children, new Dictionary<string, LocalActorRef>(StringComparer.Ordinal), null) ?? x.Children;
        LocalActorRef child;
        lock (children)
        {
            if (_terminating || _terminated)
            {
                throw new InvalidOperationException($"{SelfRef.Path} is stopping and cannot create the child '{name ?? "(generated)"}'; create it before stopping, or from another actor.");
            }

            name ??= "$" + (++x.ChildNameCounter).ToString(CultureInfo.InvariantCulture);
            if (children.ContainsKey(name))
            {
                throw new InvalidActorNameException($"Actor name [{name}] is not unique under {SelfRef.Path}: a child of that name is running or still stopping. Choose another name, or wait for its Terminated before reusing it.");
            }

            var cell = new ActorCell(SystemImpl, this, SelfRef.Path.Child(name, SystemImpl.NextUid()), props);
            cell.PrepareCreate();
            children.Add(name, cell.SelfRef);
            child = cell.SelfRef;
        }

        SystemImpl.Metrics.ActorCreated();
        child.Cell.Start();
        return child;
    }

    internal void StopChild(ActorCell child)
    {
        MarkChildStopping(child.SelfRef);
        child.SendSystemMessage(new Terminate());
    }

    internal List<ActorCell> ChildCells()
    {
        var result = new List<ActorCell>();
        foreach (var child in ChildSnapshot(includeStopping: false))
        {
            result.Add(child.Cell);
        }

        return result;
    }

    private void MarkChildStopping(LocalActorRef child)
    {
        if (_x?.Children is { } children)
        {
            lock (children)
            {
                child.Cell.StoppingByParent = true;
            }
        }
    }

    private bool IsCurrentChild(LocalActorRef child)
    {
        if (_x?.Children is not { } children)
        {
            return false;
        }

        lock (children)
        {
            return children.TryGetValue(child.Path.Name, out var current) && ReferenceEquals(current, child);
        }
    }

    private bool HasStoppingChildren()
    {
        if (_x?.Children is not { } children)
        {
            return false;
        }

        lock (children)
        {
            foreach (var child in children.Values)
            {
                if (child.Cell.StoppingByParent)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private List<LocalActorRef> ChildSnapshot(bool includeStopping)
    {
        var result = new List<LocalActorRef>();
        if (_x?.Children is not { } children)
        {
            return result;
        }

        lock (children)
        {
            foreach (var child in children.Values)
            {
                if (includeStopping || !child.Cell.StoppingByParent)
                {
                    result.Add(child);
                }
            }
        }

        return result;
    }

    private void SendToChildren(Func<SystemMessage> message)
    {
        if (_x?.Children is null)
        {
            return;
        }

        foreach (var child in ChildSnapshot(includeStopping: false))
        {
            child.SendSystemMessage(message());
        }
    }

    private void CancelTimersAndReceiveTimeout()
    {
        if (_x is not { } x)
        {
            return;
        }

        x.Timers?.CancelAll();
        x.ReceiveTimeout = null;
        x.ReceiveTimeoutTimer?.Dispose();
        x.ReceiveTimeoutTimer = null;
    }
}
