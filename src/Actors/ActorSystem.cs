using Coordinator.Actors.Core;
using Coordinator.Actors.Diagnostics;
using Coordinator.Actors.Events;
using Coordinator.Actors.Shutdown;
using Coordinator.Actors.Supervision;
using Microsoft.Extensions.Logging;

namespace Coordinator.Actors;

/// <summary>
/// A hierarchy of actors under one root: <c>/user</c> for the application's actors,
/// <c>/system</c> for the runtime's, <c>/deadLetters</c> for what cannot be delivered.
/// Dispatch runs on the .NET thread pool. Dispose (or <see cref="CoordinatedShutdown"/>) stops
/// every actor in order.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ActorCell _root;
    private readonly ActorCell _userGuardian;
    private readonly ActorCell _systemGuardian;
    private readonly ActorPath _tempPath;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _uid;
    private long _tempCounter;
    private int _deadLettersLogged;
    private int _terminateRequested;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, object> _extensions = new();

    private ActorSystem(string name, ActorSystemSettings settings)
    {
        Name = name;
        Settings = settings;
        TimeProvider = settings.TimeProvider;
        Log = new ActorLog(settings.LoggerFactory.CreateLogger("Coordinator.Actors"));
        Metrics = new ActorMetrics(name, settings.MeterFactory);
        EventStream = new EventStream((ex, type) => Log.SubscriberFailed(ex, type.Name));
        Scheduler = new Scheduler(TimeProvider);
        CoordinatedShutdown = new CoordinatedShutdown(this, settings.ShutdownPhaseTimeout);

        var rootPath = ActorPath.CreateRoot(name);
        DeadLetters = new DeadLetterActorRef(this, rootPath.Child("deadLetters", 0));
        _tempPath = rootPath.Child("temp", 0);

        _root = new ActorCell(this, null, rootPath, Props.Create<GuardianActor>().WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy)) { IsGuardian = true };
        _root.PrepareCreate();
        _systemGuardian = _root.MakeChild(Props.Create<GuardianActor>(), "system").Cell;
        _userGuardian = _root.MakeChild(Props.Create<GuardianActor>(), "user").Cell;
        _systemGuardian.IsGuardian = true;
        _userGuardian.IsGuardian = true;
        Metrics.ActorCreated();
        _root.Start();
    }

    /// <summary>The system's name, part of every actor's full address.</summary>
    public string Name { get; }

    /// <summary>The validated settings.</summary>
    public ActorSystemSettings Settings { get; }

    /// <summary>The clock every timer of this system runs on.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Dead letters, failures, lifecycle events, and the application's own events.</summary>
    public EventStream EventStream { get; }

    /// <summary>Sends messages later.</summary>
    public Scheduler Scheduler { get; }

    /// <summary>Ordered, bounded shutdown of this system.</summary>
    public CoordinatedShutdown CoordinatedShutdown { get; }

    /// <summary>The ref whose messages become dead letters.</summary>
    public IActorRef DeadLetters { get; }

    /// <summary>Completes when every actor has stopped.</summary>
    public Task WhenTerminated => _terminated.Task;

    /// <summary>Number of actors alive (created and not yet stopped), guardians included.</summary>
    public long AliveActors => Metrics.Alive;

    /// <summary>User messages processed so far by all actors.</summary>
    public long MessagesProcessed => Metrics.Processed;

    internal ActorLog Log { get; }

    internal ActorMetrics Metrics { get; }

    /// <summary>Creates and starts an actor system.</summary>
    /// <param name="name">Letters, digits and '-' only, e.g. "coordinator".</param>
    /// <param name="settings">Settings; null for defaults.</param>
    /// <exception cref="ArgumentException">The name or a setting is invalid; the message says which and how to fix it.</exception>
    public static ActorSystem Create(string name, ActorSystemSettings? settings = null)
    {
        if (string.IsNullOrWhiteSpace(name) || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"Actor system name '{name}' is invalid; use letters, digits and '-' only, e.g. \"coordinator\".", nameof(name));
        }

        settings ??= new ActorSystemSettings();
        settings.Validate();
        return new ActorSystem(name, settings);
    }

    /// <summary>Creates a top-level actor under <c>/user</c>.</summary>
    /// <exception cref="InvalidActorNameException">The name is invalid or taken.</exception>
    public IActorRef ActorOf(Props props, string? name = null) => _userGuardian.MakeChild(props, name);

    /// <summary>Creates a runtime actor under <c>/system</c>; it outlives every user actor during shutdown.</summary>
    public IActorRef SystemActorOf(Props props, string? name = null) => _systemGuardian.MakeChild(props, name);

    /// <summary>Stops <paramref name="actor"/> asynchronously (children first).</summary>
    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (Of(actor) != this)
        {
            throw new ArgumentException($"{actor.Path} belongs to actor system '{Of(actor).Name}', not '{Name}'; stop it through its own system.", nameof(actor));
        }

        if (actor is LocalActorRef local && local.Cell.ParentCell is { } parent)
        {
            parent.StopChild(local.Cell);
        }
        else if (actor is IInternalActorRef internalRef)
        {
            internalRef.SendSystemMessage(new Terminate());
        }
    }

    /// <summary>
    /// The actor at <paramref name="path"/> (e.g. <c>/user/orders/order-1</c>), or null if none is
    /// alive there.
    /// </summary>
    public IActorRef? Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var elements = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        IActorRef? current = _root.SelfRef;
        foreach (var element in elements)
        {
            current = (current as LocalActorRef)?.Cell.Child(element);
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>The direct children of the actor at <paramref name="path"/> (empty if none is there).</summary>
    public IReadOnlyCollection<IActorRef> ChildrenOf(string path)
        => Resolve(path) is LocalActorRef local ? local.Cell.GetChildren() : [];

    /// <summary>
    /// Registers a system-wide service (Akka.NET's extensions: persistence, sharding) so that
    /// actors find it through <see cref="GetExtension{T}"/>. Returns the one already registered,
    /// if any.
    /// </summary>
    public T RegisterExtension<T>(T extension)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(extension);
        return (T)_extensions.GetOrAdd(typeof(T), extension);
    }

    /// <summary>The registered extension of type <typeparamref name="T"/>, or null.</summary>
    public T? GetExtension<T>()
        where T : class
        => _extensions.TryGetValue(typeof(T), out var extension) ? (T)extension : null;

    /// <summary>Runs coordinated shutdown and waits for it.</summary>
    public Task Terminate() => CoordinatedShutdown.Run(ShutdownReason.ActorSystemTerminated);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Terminate().ConfigureAwait(false);
        Metrics.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"ActorSystem({Name})";

    internal static ActorSystem Of(IActorRef actor) => actor is IInternalActorRef internalRef
        ? internalRef.System
        : throw new ArgumentException($"{actor} is not an actor of this runtime; Ask and watch work on refs made by an ActorSystem.", nameof(actor));

    internal long NextUid() => Interlocked.Increment(ref _uid);

    internal ActorPath NewTempPath() => _tempPath.Child("$" + Interlocked.Increment(ref _tempCounter).ToString(System.Globalization.CultureInfo.InvariantCulture), 0);

    /// <summary>Stops the user actors, then the system actors, then the root.</summary>
    internal Task TerminateActors()
    {
        if (Interlocked.Exchange(ref _terminateRequested, 1) == 0)
        {
            _root.SelfRef.Tell(GuardianActor.StopSystem.Instance, null);
        }

        return WhenTerminated;
    }

    internal void ForceTerminated()
    {
        Scheduler.CancelAll();
        _terminated.TrySetResult();
    }

    internal SupervisorStrategy DefaultStrategyFor(ActorCell cell)
        => cell == _userGuardian ? Settings.GuardianSupervisorStrategy ?? SupervisorStrategy.DefaultStrategy : SupervisorStrategy.DefaultStrategy;

    internal void DeadLetter(object message, IActorRef? sender, IActorRef recipient, string? reason)
    {
        if (message is TimerFired or ReceiveTimeoutTick or Events.DeadLetter)
        {
            return;
        }

        Metrics.DeadLetter();
        var limit = Settings.LogDeadLetters;
        if (limit > 0 && Log.Logger.IsEnabled(LogLevel.Information))
        {
            var logged = Interlocked.Increment(ref _deadLettersLogged);
            if (logged <= limit)
            {
                Log.DeadLetter(message.GetType().Name, sender?.Path.ToString() ?? "no sender", recipient.Path.ToString(), reason is null ? string.Empty : $" ({reason})");
            }
            else if (logged == limit + 1)
            {
                Log.DeadLettersSuppressed(limit);
            }
        }

        if (EventStream.HasSubscribers)
        {
            EventStream.Publish(new DeadLetter(message, sender, recipient, reason));
        }
    }

    internal void PublishUnhandled(object message, IActorRef? sender, IActorRef recipient)
    {
        if (EventStream.HasSubscribers)
        {
            EventStream.Publish(new UnhandledMessage(message, sender, recipient));
        }
    }

    internal void OnActorStarted(ActorCell cell)
    {
        if (EventStream.HasSubscribers)
        {
            EventStream.Publish(new ActorStarted(cell.SelfRef, cell.Props.ActorType));
        }
    }

    internal void OnActorRestarted(ActorCell cell, Exception cause)
    {
        if (EventStream.HasSubscribers)
        {
            EventStream.Publish(new ActorRestarted(cell.SelfRef, cell.Props.ActorType, cause));
        }
    }

    internal void OnActorStopped(ActorCell cell)
    {
        Metrics.ActorStopped();
        if (EventStream.HasSubscribers)
        {
            EventStream.Unsubscribe(cell.SelfRef);
            EventStream.Publish(new ActorStopped(cell.SelfRef, cell.Props.ActorType));
        }

        if (cell == _root)
        {
            ForceTerminated();
        }
    }

    internal void OnChildFailure(ActorCell child, Exception cause, Directive directive)
    {
        Log.ActorFailed(cause, child.SelfRef.Path.ToString(), child.Props.ActorType.Name, directive.ToString());
        if (EventStream.HasSubscribers)
        {
            EventStream.Publish(new ActorFailed(child.SelfRef, child.Props.ActorType, cause, directive));
        }
    }

    internal void OnRootFailure(Exception cause)
    {
        Log.RootFailed(cause, Name);
        _ = Terminate();
    }
}
