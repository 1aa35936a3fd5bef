using Coordinator.Contracts;

namespace Coordinator.Connectors;

/// <summary>
/// A connector supervisor's durable state: its <see cref="Outbox"/> and its <see cref="Circuit"/>,
/// folded from its journal by <see cref="Apply"/> — the same fold for recovery and for live
/// handling, deterministic and without side effects (no clock, no I/O, no messages). Whatever
/// recovery must rebuild is an event here; what only lives as long as one incarnation (calls in
/// flight, their callers, the rate limiter, consecutive failed attempts) is the actor's.
/// </summary>
internal sealed class ConnectorState
{
    /// <summary>A state with nothing journaled yet, whose outbox keeps <paramref name="outboxWindow"/> acknowledged outcomes.</summary>
    public ConnectorState(int outboxWindow)
    {
        Outbox = new ConnectorOutbox(outboxWindow);
    }

    /// <summary>The accepted actions, their outcomes and which entities have them.</summary>
    public ConnectorOutbox Outbox { get; }

    /// <summary>The circuit.</summary>
    public ConnectorCircuit Circuit { get; private set; } = ConnectorCircuit.Initial;

    /// <summary>Folds one journaled event (an unknown one is ignored, so an older reader skips newer kinds).</summary>
    public void Apply(object @event)
    {
        Outbox.Apply(@event);
        Circuit = Circuit.Apply(@event);
        if (@event is ConnectorActionCompleted && Outbox.Pending.Count == 0)
        {
            Circuit = Circuit.Drained();
        }
    }

    /// <summary>The snapshot of this state (<c>V1.ConnectorSnapshot</c>).</summary>
    public ConnectorSnapshot ToSnapshot()
        => new([.. Outbox.Pending], Outbox.AcknowledgedOutcomes(), Outbox.UndeliveredOutcomes(), Circuit.State, Circuit.Since, Circuit.OpenedAt, Circuit.Opened, Circuit.LastRecovery, Circuit.Draining);

    /// <summary>Replaces this state with <paramref name="snapshot"/>'s.</summary>
    public void Restore(ConnectorSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Outbox.Restore(snapshot);
        Circuit = new ConnectorCircuit(snapshot.State, snapshot.Since, snapshot.OpenedAt, snapshot.Opened, snapshot.LastRecovery, snapshot.Draining);
    }
}

/// <summary>
/// The outbox: actions accepted and not completed (the queue, in the order they run), outcomes by
/// idempotency key, which of those their entity has not acknowledged yet (never forgotten), and a
/// bounded window of acknowledged ones.
/// </summary>
internal sealed class ConnectorOutbox(int window)
{
    private readonly List<ConnectorRequest> _pending = [];
    private readonly Dictionary<string, ConnectorActionCompleted> _completed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _undelivered = new(StringComparer.Ordinal);
    private readonly Queue<string> _acknowledgedOrder = new();
    private readonly HashSet<string> _acknowledged = new(StringComparer.Ordinal);

    /// <summary>The queue: accepted actions not yet completed, in the order they run.</summary>
    public IReadOnlyList<ConnectorRequest> Pending => _pending;

    /// <summary>Outcomes whose entity has not acknowledged them, by key.</summary>
    public IReadOnlyCollection<string> Undelivered => _undelivered;

    /// <summary>The outcome kept for <paramref name="key"/>, if any.</summary>
    public ConnectorActionCompleted? Outcome(string key) => _completed.GetValueOrDefault(key);

    /// <summary>Where <paramref name="key"/> stands in the queue; -1 when it is not queued.</summary>
    public int PositionOf(string key) => _pending.FindIndex(p => p.IdempotencyKey == key);

    /// <summary>Whether <paramref name="key"/>'s outcome still waits for its entity's acknowledgement.</summary>
    public bool IsUndelivered(string key) => _undelivered.Contains(key);

    /// <summary>The acknowledged outcomes kept, oldest first.</summary>
    public IReadOnlyList<ConnectorActionCompleted> AcknowledgedOutcomes() => [.. _acknowledgedOrder.Select(k => _completed[k])];

    /// <summary>The outcomes not yet acknowledged.</summary>
    public IReadOnlyList<ConnectorActionCompleted> UndeliveredOutcomes() => [.. _undelivered.Order(StringComparer.Ordinal).Select(k => _completed[k])];

    /// <summary>Folds one event.</summary>
    public void Apply(object @event)
    {
        switch (@event)
        {
            case ConnectorActionAccepted accepted when PositionOf(accepted.Request.IdempotencyKey) < 0:
                _pending.Add(accepted.Request);
                break;
            case ConnectorActionCompleted completed:
                _pending.RemoveAll(p => p.IdempotencyKey == completed.IdempotencyKey);
                _completed[completed.IdempotencyKey] = completed;
                if (completed.ReplyTo is not null)
                {
                    _undelivered.Add(completed.IdempotencyKey); // the entity may ask for it until it acknowledges
                }
                else
                {
                    Acknowledged(completed.IdempotencyKey); // its caller was answered directly
                }

                break;
            case ConnectorActionDelivered delivered:
                if (_undelivered.Remove(delivered.IdempotencyKey))
                {
                    Acknowledged(delivered.IdempotencyKey);
                }

                break;
            case ConnectorQueueReordered reordered:
                var first = reordered.Keys.Distinct(StringComparer.Ordinal).Select(k => _pending.Find(p => p.IdempotencyKey == k)).OfType<ConnectorRequest>().ToList();
                var rest = _pending.Where(p => !first.Contains(p)).ToList();
                _pending.Clear();
                _pending.AddRange(first);
                _pending.AddRange(rest);
                break;
        }
    }

    /// <summary>Replaces the outbox with <paramref name="snapshot"/>'s.</summary>
    public void Restore(ConnectorSnapshot snapshot)
    {
        _pending.Clear();
        _pending.AddRange(snapshot.Pending);
        _completed.Clear();
        _acknowledged.Clear();
        _acknowledgedOrder.Clear();
        _undelivered.Clear();
        foreach (var outcome in snapshot.Undelivered)
        {
            _completed[outcome.IdempotencyKey] = outcome;
            _undelivered.Add(outcome.IdempotencyKey);
        }

        // Snapshots written before the window counted only acknowledged outcomes listed undelivered ones here too; they stay unacknowledged.
        foreach (var completed in snapshot.Completed.Where(c => !_undelivered.Contains(c.IdempotencyKey)))
        {
            _completed[completed.IdempotencyKey] = completed;
            Acknowledged(completed.IdempotencyKey);
        }
    }

    /// <summary>
    /// <paramref name="key"/>'s outcome is acknowledged (or was answered directly): it joins the window of
    /// acknowledged outcomes, and the oldest beyond it are forgotten. Outcomes not yet acknowledged are
    /// never in the window, so never forgotten.
    /// </summary>
    private void Acknowledged(string key)
    {
        if (_completed.ContainsKey(key) && _acknowledged.Add(key))
        {
            _acknowledgedOrder.Enqueue(key);
        }

        while (_acknowledgedOrder.Count > Math.Max(1, window))
        {
            var oldest = _acknowledgedOrder.Dequeue();
            _acknowledged.Remove(oldest);
            if (!_undelivered.Contains(oldest))
            {
                _completed.Remove(oldest);
            }
        }
    }
}

/// <summary>
/// The circuit, as an immutable value: its state and since when, when it last opened, how often it
/// opened, the last time to recovery, and whether a recovered queue is still draining. <see cref="Apply"/>
/// folds the journal; the <c>On…</c> methods decide, from the state and what happened, which event
/// (if any) to journal.
/// </summary>
internal sealed record ConnectorCircuit(CircuitState State, DateTimeOffset Since, DateTimeOffset OpenedAt, int Opened, TimeSpan? LastRecovery, bool Draining)
{
    /// <summary>Closed, never opened.</summary>
    public static ConnectorCircuit Initial { get; } = new(CircuitState.Closed, default, default, 0, null, false);

    /// <summary>The event that opens a closed circuit after a failure; null when it is not closed.</summary>
    public ConnectorCircuitOpened? OnFailure(DateTimeOffset now, ConnectorException cause)
        => State == CircuitState.Closed ? new ConnectorCircuitOpened(now, cause.Outcome, cause.Message) : null;

    /// <summary>The event that lets a probe run once the break is over; null when it is not open.</summary>
    public ConnectorCircuitHalfOpened? OnBreakOver(DateTimeOffset now)
        => State == CircuitState.Open ? new ConnectorCircuitHalfOpened(now) : null;

    /// <summary>The event after an action ended in the infrastructure lane: a failed probe re-opens, a closed circuit opens; null when it is open already.</summary>
    public object? OnInfrastructureFailure(DateTimeOffset now, ConnectorException cause) => State switch
    {
        CircuitState.HalfOpen => new ConnectorProbeFailed(now, cause.Outcome, cause.Message),
        CircuitState.Closed => new ConnectorCircuitOpened(now, cause.Outcome, cause.Message),
        _ => null,
    };

    /// <summary>The event after an action succeeded: a successful probe closes the circuit, with the time since it opened; null otherwise.</summary>
    public ConnectorCircuitClosed? OnSuccess(DateTimeOffset now)
        => State == CircuitState.HalfOpen ? new ConnectorCircuitClosed(now, now - OpenedAt) : null;

    /// <summary>Folds one event.</summary>
    public ConnectorCircuit Apply(object @event) => @event switch
    {
        ConnectorCircuitOpened opened => this with { State = CircuitState.Open, Since = opened.At, OpenedAt = opened.At, Opened = Opened + 1, Draining = false },
        ConnectorCircuitHalfOpened halfOpened => this with { State = CircuitState.HalfOpen, Since = halfOpened.At },
        ConnectorProbeFailed failed => this with { State = CircuitState.Open, Since = failed.At },
        ConnectorCircuitClosed closed => this with { State = CircuitState.Closed, Since = closed.At, LastRecovery = closed.TimeToRecovery, Draining = true },
        _ => this,
    };

    /// <summary>The queue is empty: a recovered queue has drained, and calls flow at full rate again.</summary>
    public ConnectorCircuit Drained() => Draining ? this with { Draining = false } : this;
}
