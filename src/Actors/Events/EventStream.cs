namespace Coordinator.Actors.Events;

/// <summary>
/// Publish/subscribe by type, for the runtime's own events (dead letters, failures, lifecycle)
/// and the application's. A subscriber to a type receives every event assignable to it. Actor
/// subscribers receive events as messages and are unsubscribed when they stop; delegate
/// subscribers run on the publishing thread and must be quick and thread-safe.
/// </summary>
public sealed class EventStream
{
    private readonly object _gate = new();
    private readonly Action<Exception, Type> _onSubscriberError;
    private Subscription[] _subscriptions = [];

    internal EventStream(Action<Exception, Type> onSubscriberError)
    {
        _onSubscriberError = onSubscriberError;
    }

    /// <summary>True when anybody is subscribed to anything.</summary>
    public bool HasSubscribers => Volatile.Read(ref _subscriptions).Length > 0;

    /// <summary>Subscribes <paramref name="subscriber"/> to events assignable to <paramref name="channel"/>; false if it already was.</summary>
    public bool Subscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(channel);
        lock (_gate)
        {
            foreach (var s in _subscriptions)
            {
                if (s.Channel == channel && subscriber.Equals(s.Actor))
                {
                    return false;
                }
            }

            Volatile.Write(ref _subscriptions, [.. _subscriptions, new Subscription(channel, subscriber, null)]);
            return true;
        }
    }

    /// <summary>Calls <paramref name="handler"/> for every event of type <typeparamref name="T"/> until the returned handle is disposed.</summary>
    public IDisposable Subscribe<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(typeof(T), null, e => handler((T)e));
        lock (_gate)
        {
            Volatile.Write(ref _subscriptions, [.. _subscriptions, subscription]);
        }

        return new Unsubscriber(this, subscription);
    }

    /// <summary>Unsubscribes <paramref name="subscriber"/> from <paramref name="channel"/>, or from everything when it is null.</summary>
    public bool Unsubscribe(IActorRef subscriber, Type? channel = null)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_gate)
        {
            var kept = Array.FindAll(_subscriptions, s => !(subscriber.Equals(s.Actor) && (channel is null || s.Channel == channel)));
            if (kept.Length == _subscriptions.Length)
            {
                return false;
            }

            Volatile.Write(ref _subscriptions, kept);
            return true;
        }
    }

    /// <summary>Delivers <paramref name="event"/> to every subscriber of a type it is assignable to.</summary>
    public void Publish(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var subscriptions = Volatile.Read(ref _subscriptions);
        if (subscriptions.Length == 0)
        {
            return;
        }

        var type = @event.GetType();
        foreach (var s in subscriptions)
        {
            if (!s.Channel.IsAssignableFrom(type))
            {
                continue;
            }

            if (s.Actor is { } actor)
            {
                actor.Tell(@event, null);
                continue;
            }

            try
            {
                s.Callback!(@event);
            }
            catch (Exception ex)
            {
                _onSubscriberError(ex, type);
            }
        }
    }

    /// <summary>True when someone would receive an event of type <paramref name="eventType"/>.</summary>
    public bool IsSubscribed(Type eventType)
    {
        foreach (var s in Volatile.Read(ref _subscriptions))
        {
            if (s.Channel.IsAssignableFrom(eventType))
            {
                return true;
            }
        }

        return false;
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            Volatile.Write(ref _subscriptions, Array.FindAll(_subscriptions, s => !ReferenceEquals(s, subscription)));
        }
    }

    private sealed record Subscription(Type Channel, IActorRef? Actor, Action<object>? Callback);

    private sealed class Unsubscriber(EventStream stream, Subscription subscription) : IDisposable
    {
        public void Dispose() => stream.Remove(subscription);
    }
}
