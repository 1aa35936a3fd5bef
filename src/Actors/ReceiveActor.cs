namespace Coordinator.Actors;

/// <summary>
/// An actor that declares typed handlers in its constructor (Akka.NET's ReceiveActor):
/// <c>Receive&lt;OpenCase&gt;(Handle)</c>. Handlers are tried in declaration order; the first
/// whose type (and predicate) matches handles the message. <see cref="ReceiveAsync{T}"/>
/// handlers hold the actor until their task completes.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private readonly HandlerSet _initial = new();
    private HandlerSet? _building;
    private bool _constructed;

    /// <summary>Starts collecting the handlers declared by the derived constructor.</summary>
    protected ReceiveActor()
    {
        _building = _initial;
    }

    /// <summary>Handles messages of type <typeparamref name="T"/> (matching <paramref name="shouldHandle"/> if given).</summary>
    protected void Receive<T>(Action<T> handler, Predicate<T>? shouldHandle = null)
        => Add(new ActionHandler<T>(handler, shouldHandle));

    /// <summary>Handles messages of type <typeparamref name="T"/> that match <paramref name="shouldHandle"/>.</summary>
    protected void Receive<T>(Predicate<T> shouldHandle, Action<T> handler)
        => Add(new ActionHandler<T>(handler, shouldHandle));

    /// <summary>Handles messages of type <typeparamref name="T"/> for which <paramref name="handler"/> returns true.</summary>
    protected void Receive<T>(Func<T, bool> handler)
        => Add(new FuncHandler<T>(handler));

    /// <summary>
    /// Handles messages of type <typeparamref name="T"/> asynchronously: the actor processes
    /// nothing else until the task completes, continuations run on the actor, and
    /// <see cref="ActorBase.Sender"/> stays the sender of this message.
    /// </summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler, Predicate<T>? shouldHandle = null)
        => Add(new AsyncHandler<T>(this, handler, shouldHandle));

    /// <summary>Handles any message not handled by an earlier declaration.</summary>
    protected void ReceiveAny(Action<object> handler)
        => Add(new ActionHandler<object>(handler, null));

    /// <summary>Handles any message asynchronously (see <see cref="ReceiveAsync{T}"/>).</summary>
    protected void ReceiveAnyAsync(Func<object, Task> handler)
        => Add(new AsyncHandler<object>(this, handler, null));

    /// <summary>Replaces the behaviour with the handlers <paramref name="configure"/> declares.</summary>
    protected void Become(Action configure) => Cell.Become(Build(configure));

    /// <summary>Pushes the handlers <paramref name="configure"/> declares; <see cref="ActorBase.UnbecomeStacked"/> returns.</summary>
    protected void BecomeStacked(Action configure) => Cell.BecomeStacked(Build(configure));

    /// <inheritdoc />
    protected sealed override bool Receive(object message)
    {
        if (!_constructed)
        {
            _constructed = true;
            _building = null;
        }

        return _initial.Handle(message);
    }

    private Receive Build(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = _building;
        var set = new HandlerSet();
        _building = set;
        try
        {
            configure();
        }
        finally
        {
            _building = previous;
        }

        return set.Handle;
    }

    private void Add(Handler handler)
    {
        var target = _building
            ?? throw new InvalidOperationException($"{GetType().Name}: Receive handlers can be declared only in the constructor or inside Become(() => ...); declare them there.");
        target.Add(handler);
    }

    private sealed class HandlerSet
    {
        private Handler[] _handlers = [];

        public void Add(Handler handler)
        {
            var next = new Handler[_handlers.Length + 1];
            _handlers.CopyTo(next, 0);
            next[^1] = handler;
            _handlers = next;
        }

        public bool Handle(object message)
        {
            foreach (var handler in _handlers)
            {
                if (handler.TryHandle(message))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private abstract class Handler
    {
        public abstract bool TryHandle(object message);
    }

    private sealed class ActionHandler<T>(Action<T> handler, Predicate<T>? shouldHandle) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is T typed && (shouldHandle is null || shouldHandle(typed)))
            {
                handler(typed);
                return true;
            }

            return false;
        }
    }

    private sealed class FuncHandler<T>(Func<T, bool> handler) : Handler
    {
        public override bool TryHandle(object message) => message is T typed && handler(typed);
    }

    private sealed class AsyncHandler<T>(ReceiveActor owner, Func<T, Task> handler, Predicate<T>? shouldHandle) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is T typed && (shouldHandle is null || shouldHandle(typed)))
            {
                owner.Cell.HoldUntilComplete(handler(typed));
                return true;
            }

            return false;
        }
    }
}
