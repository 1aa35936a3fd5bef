using Coordinator.Actors;
using Coordinator.Actors.Persistence;
using Coordinator.Contracts;

namespace Coordinator.Connectors;

/// <summary>
/// One connector's supervisor: its outbox, bulkhead, rate limit, retries and circuit, as one
/// persistent actor (<c>connector-{name}</c>).
/// <list type="bullet">
/// <item><b>Outbox.</b> An action is journaled as accepted before its first call and as completed
/// with its outcome after. A request whose key is pending joins it; one whose key completed is
/// answered from the outbox without a call (a duplicate prevented). After a crash the pending
/// actions run again under the same <c>Idempotency-Key</c>, so the system applies them once.
/// <para>The outbox's bound: an outcome its entity has not acknowledged
/// (<see cref="ActionOutcomeReceived"/>, journaled as <see cref="ConnectorActionDelivered"/>) is never
/// forgotten, since that entity may recover and ask for it again; a repeat of its key is always
/// answered from the outbox, before and after a restart or a snapshot. Only acknowledged outcomes
/// (and those answered directly to a caller without a <see cref="ConnectorRequest.ReplyTo"/>) are
/// bounded, to the latest <see cref="ConnectorPolicy.OutboxWindow"/>: an entity acknowledges an
/// outcome only after journaling it, so it never asks for that key again, and the window only
/// catches other repeats (a re-published record, a caller retrying). A repeat of a key forgotten
/// beyond the window is called again under the same <c>Idempotency-Key</c>, so it is applied once
/// only if the remote system honours that header.</para></item>
/// <item><b>Transient lane.</b> Retried with exponential backoff and full jitter (or after the
/// system's <c>Retry-After</c>, at most <see cref="ConnectorPolicy.MaxRetryAfter"/>; see
/// <see cref="RetryDelay"/>) up to <see cref="ConnectorPolicy.MaxAttempts"/>, then handed to
/// <see cref="ConnectorPolicy.WhenRetriesExhausted"/>.</item>
/// <item><b>Delivery.</b> A request with a <see cref="ConnectorRequest.ReplyTo"/> is answered
/// <see cref="ActionAccepted"/> once journaled; its outcome goes to that entity through its
/// region, and again every <see cref="ConnectorPolicy.RedeliverAfter"/> and after a restart,
/// until the entity acknowledges it (<see cref="ActionOutcomeReceived"/>). So an entity that
/// sleeps, restarts or crashes still learns every outcome, and learns it once in effect.</item>
/// <item><b>Data lane.</b> Completed as failed and answered with <see cref="ActionFailed"/>: the
/// caller parks that one step for an operator.</item>
/// <item><b>Infrastructure lane.</b> <see cref="ConnectorPolicy.CircuitFailureThreshold"/> failed
/// attempts in a row open the circuit (a journaled event). Actions then stay queued, durably,
/// in order; after <see cref="ConnectorPolicy.BreakDuration"/> the head of the queue runs as a
/// probe; its success closes the circuit (journaled with the time to recovery) and the queue
/// drains one at a time, in order, at <see cref="ConnectorPolicy.DrainPerSecond"/>.</item>
/// </list>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "An actor's end of life is PostStop, which disposes the token.")]
public sealed class ConnectorSupervisor : PersistentActor, IWithTimers
{
    private readonly IConnector _connector;
    private readonly ConnectorPolicy _policy;
    private readonly ConnectorMetrics _metrics;
    private readonly Random? _jitter;
    private readonly List<ConnectorRequest> _pending = [];
    private readonly HashSet<string> _started = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConnectorActionCompleted> _completed = new(StringComparer.Ordinal);
    private readonly Queue<string> _acknowledgedOrder = new();
    private readonly HashSet<string> _acknowledged = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IActorRef>> _waiters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ConnectorActionCompleted Outcome, long SentAt)> _undelivered = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unroutable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(ConnectorRequest Request, IActorRef Sender)>> _accepting = new(StringComparer.Ordinal);
    private CircuitState _state = CircuitState.Closed;
    private DateTimeOffset _since;
    private DateTimeOffset _openedAt;
    private int _opened;
    private TimeSpan? _lastRecovery;
    private int _consecutiveFailures;
    private bool _draining;
    private long _nextStart;
    private CancellationTokenSource _circuitToken = new();

    /// <summary>Creates the supervisor of <paramref name="connector"/>; <paramref name="jitter"/> draws the retry jitter (seed it for reproducible tests; default: <see cref="Random.Shared"/>).</summary>
    public ConnectorSupervisor(IConnector connector, ConnectorMetrics metrics, Random? jitter = null)
    {
        _jitter = jitter;
        _connector = connector;
        _policy = connector.Policy;
        _metrics = metrics;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public override string PersistenceId => $"connector-{_connector.Name}";

    private TimeProvider Time => Context.System.TimeProvider;

    private Microsoft.Extensions.Logging.ILogger Logger => field ??= Context.System.Settings.LoggerFactory.CreateLogger("Coordinator.Connectors");

    /// <summary>Props for the supervisor of <paramref name="connector"/>; <paramref name="jitter"/> draws the retry jitter (default: <see cref="Random.Shared"/>).</summary>
    public static Props Props(IConnector connector, ConnectorMetrics metrics, Random? jitter = null) => Coordinator.Actors.Props.Create(() => new ConnectorSupervisor(connector, metrics, jitter));

    /// <summary>Every <see cref="ConnectorPolicy.SnapshotEvery"/> events the outbox, the queue and the circuit are saved, so recovery replays only what followed.</summary>
    protected override int SnapshotEvery => _policy.SnapshotEvery;

    /// <inheritdoc />
    protected override object? SnapshotState()
        => new ConnectorSnapshot([.. _pending], [.. _acknowledgedOrder.Select(k => _completed[k])], [.. _undelivered.Values.Select(u => u.Outcome)], _state == CircuitState.HalfOpen ? CircuitState.Open : _state, _since, _openedAt, _opened, _lastRecovery, _draining); // a probe in flight is not state: recovery probes again

    /// <inheritdoc />
    protected override bool ReceiveRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: ConnectorSnapshot snapshot }:
                Restore(snapshot);
                return true;
            case RecoveryCompleted:
                _metrics.ObserveQueue(_connector.Name, () => _pending.Count);
                Timers.StartPeriodicTimer("redeliver", Redeliver.Instance, _policy.RedeliverAfter);
                RedeliverDue(all: true);
                if (_since == default)
                {
                    _since = Time.GetUtcNow(); // closed since this start
                }

                if (_state == CircuitState.Open)
                {
                    Timers.StartSingleTimer("probe", Probe.Instance, _policy.BreakDuration);
                }
                else
                {
                    // Pending after a crash: run again under the same key; the system applies it once.
                    _draining = _pending.Count > 0;
                    Dispatch();
                }

                return true;
            default:
                Apply(message);
                return true;
        }
    }

    /// <inheritdoc />
    protected override bool ReceiveCommand(object message)
    {
        switch (message)
        {
            case Execute { Request: var request }:
                Accept(request, Sender);
                return true;
            case AttemptsDone done:
                Done(done);
                return true;
            case AttemptFailed failed:
                AttemptFailedSignal(failed);
                return true;
            case Tick:
                Dispatch();
                return true;
            case ActionOutcomeReceived { IdempotencyKey: var received }:
                if (_undelivered.Remove(received))
                {
                    // Until written, the outcome stays in the outbox (in _completed), so a repeat is still answered from it.
                    PersistAsync(new ConnectorActionDelivered(received), Apply);
                }

                return true;
            case Redeliver:
                RedeliverDue(all: false);
                return true;
            case SaveSnapshotSuccess:
                return true;
            case SaveSnapshotFailure failure:
                ConnectorLog.SnapshotFailed(Logger, failure.Cause, _connector.Name, failure.SequenceNr);
                return true;
            case Probe:
                if (_state == CircuitState.Open)
                {
                    _state = CircuitState.HalfOpen;
                    _since = Time.GetUtcNow();
                    if (_circuitToken.IsCancellationRequested)
                    {
                        _circuitToken.Dispose();
                        _circuitToken = new CancellationTokenSource();
                    }

                    Dispatch();
                }

                return true;
            case GetQueue:
                Sender.Tell(new QueueView(_connector.Name, [.. _pending]), Self);
                return true;
            case GetCircuit:
                Sender.Tell(Circuit(), Self);
                return true;
            case ReorderQueue reorder:
                Persist(new ConnectorQueueReordered(reorder.Keys, reorder.Operator), e => { Apply(e); Sender.Tell(new QueueView(_connector.Name, [.. _pending]), Self); }, new PersistOptions(CausedBy: Actor.Operator(reorder.Operator)));
                return true;
            case DrainQueue drain:
                Persist(new ConnectorDrainRequested(drain.Operator), _ =>
                {
                    if (_state == CircuitState.Open)
                    {
                        Timers.Cancel("probe");
                        Self.Tell(Probe.Instance, Self);
                    }

                    Sender.Tell(Circuit(), Self);
                }, new PersistOptions(CausedBy: Actor.Operator(drain.Operator)));
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _circuitToken.Cancel();
        _circuitToken.Dispose();
        base.PostStop();
    }

    private void Accept(ConnectorRequest request, IActorRef sender)
    {
        var key = request.IdempotencyKey;
        if (_completed.TryGetValue(key, out var completed))
        {
            _metrics.DuplicatePrevented(_connector.Name);
            if (request.ReplyTo is not null)
            {
                sender.Tell(new ActionAccepted(key), Self);
            }

            sender.Tell(Reply(completed), Self);
            return;
        }

        if (PositionOf(key) >= 0)
        {
            _metrics.DuplicatePrevented(_connector.Name);
            Joined(request, sender);
            return;
        }

        if (_accepting.TryGetValue(key, out var joining))
        {
            _metrics.DuplicatePrevented(_connector.Name);
            joining.Add((request, sender));
            return;
        }

        if (_pending.Count + _accepting.Count >= _policy.MaxWaiting)
        {
            sender.Tell(new ActionFailed(key, FailureClass.Transient, "busy", $"{_connector.Name} has {_pending.Count} actions waiting", "the connector is saturated; retry later or raise Policy:MaxWaiting", null), Self);
            return;
        }

        // PersistAsync: the supervisor goes on taking requests while this one is written, so the
        // journal writes many in one batch; requests for the same key meanwhile join it.
        _accepting[key] = [(request, sender)];
        PersistAsync(new ConnectorActionAccepted(request), e =>
        {
            Apply(e);
            if (_accepting.Remove(key, out var callers))
            {
                foreach (var (r, s) in callers)
                {
                    Joined(r, s);
                }
            }

            Dispatch();
        });
    }

    /// <summary>The journal refused an event (nothing written): an accept is answered as busy, a completion runs again later under the same key.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        switch (@event)
        {
            case ConnectorActionAccepted { Request.IdempotencyKey: var key } when _accepting.Remove(key, out var callers):
                foreach (var (_, sender) in callers)
                {
                    sender.Tell(new ActionFailed(key, FailureClass.Transient, "busy", $"the journal refused the action: {cause.Message}", "the coordinator is overloaded; send it again shortly", null), Self);
                }

                break;
            case ConnectorActionCompleted { IdempotencyKey: var key }:
                _started.Remove(key);
                Timers.StartSingleTimer("rate", Tick.Instance, _policy.BaseDelay);
                break;
            default:
                base.OnPersistRejected(cause, @event, sequenceNr);
                break;
        }
    }

    /// <summary>The caller of a pending action waits for it; an entity is also told it is accepted (its outcome will be delivered to its ReplyTo).</summary>
    private void Joined(ConnectorRequest request, IActorRef sender)
    {
        var key = request.IdempotencyKey;
        Wait(key, sender); // told when the action is queued; and of its outcome, unless that goes to ReplyTo
        if (request.ReplyTo is not null)
        {
            sender.Tell(new ActionAccepted(key), Self);
        }

        if (_state != CircuitState.Closed)
        {
            sender.Tell(new ActionQueued(key, PositionOf(key)), Self);
        }
    }

    private CircuitView Circuit() => new(_connector.Name, _state, _since, _opened, _lastRecovery, _pending.Count, _started.Count);

    /// <summary>Where <paramref name="key"/> stands in the queue; -1 when it is not queued.</summary>
    private int PositionOf(string key) => _pending.FindIndex(p => p.IdempotencyKey == key);

    private void Wait(string key, IActorRef sender)
    {
        if (!_waiters.TryGetValue(key, out var list))
        {
            _waiters[key] = list = [];
        }

        if (!sender.Equals(Self))
        {
            list.Add(sender);
        }
    }

    /// <summary>Starts what the circuit, the bulkhead and the rate allow, in queue order.</summary>
    private void Dispatch()
    {
        var limit = _state switch
        {
            CircuitState.Open => 0,
            CircuitState.HalfOpen => 1, // the probe
            _ when _draining => 1, // a recovered queue drains one at a time, in order
            _ => _policy.MaxConcurrentCalls,
        };
        var rate = _draining || _state == CircuitState.HalfOpen ? _policy.DrainPerSecond : _policy.RatePerSecond;
        var interval = (long)(Time.TimestampFrequency / rate);
        foreach (var request in _pending)
        {
            if (_started.Count >= limit)
            {
                return;
            }

            if (_started.Contains(request.IdempotencyKey))
            {
                continue;
            }

            var now = Time.GetTimestamp();
            if (now < _nextStart)
            {
                Timers.StartSingleTimer("rate", Tick.Instance, TimeSpan.FromSeconds((_nextStart - now) / (double)Time.TimestampFrequency));
                return;
            }

            _nextStart = Math.Max(now, _nextStart) + interval;
            _started.Add(request.IdempotencyKey);
            Start(request, probe: _state == CircuitState.HalfOpen);
        }

        if (_started.Count == 0 && _pending.Count == 0)
        {
            _draining = false;
        }
    }

    private void Start(ConnectorRequest request, bool probe)
    {
        var self = Self;
        var connector = _connector;
        var policy = _policy;
        var metrics = _metrics;
        var time = Time;
        var circuit = _circuitToken.Token;
        var jitter = _jitter;
        Func<double> sample = jitter is null ? Random.Shared.NextDouble : () =>
        {
            lock (jitter)
            {
                return jitter.NextDouble();
            }
        };
        _ = Task.Run(async () =>
        {
            var result = await RunAsync(connector, policy, metrics, time, sample, request, self, probe ? 1 : policy.MaxAttempts, circuit).ConfigureAwait(false);
            self.Tell(result, self);
        });
    }

    /// <summary>The attempts of one action: retries of the transient lane, then the read-back.</summary>
    private static async Task<AttemptsDone> RunAsync(IConnector connector, ConnectorPolicy policy, ConnectorMetrics metrics, TimeProvider time, Func<double> jitter, ConnectorRequest request, IActorRef self, int maxAttempts, CancellationToken circuit)
    {
        var attempts = 0;
        ConnectorResponse? response = null;
        while (true)
        {
            if (circuit.IsCancellationRequested)
            {
                return new AttemptsDone(request, null, false, attempts, CircuitOpenedMeanwhile(connector, request));
            }

            attempts++;
            try
            {
                // Once the call succeeded only the read-back is retried: the effect is not asked for twice.
                response ??= await connector.CallAsync(request, circuit).ConfigureAwait(false);
                var verified = await connector.VerifyAsync(request, response, circuit).ConfigureAwait(false);
                return new AttemptsDone(request, response with { Attempts = attempts }, verified, attempts, null);
            }
            catch (OperationCanceledException) when (circuit.IsCancellationRequested)
            {
                return new AttemptsDone(request, null, false, attempts, CircuitOpenedMeanwhile(connector, request));
            }
            catch (ConnectorException ex) when (ex.FailureClass != FailureClass.Data)
            {
                self.Tell(new AttemptFailed(ex), self);
                if (ex.FailureClass == FailureClass.Infrastructure || attempts >= maxAttempts)
                {
                    // A probe has one attempt; failing it keeps the action queued.
                    var lane = ex.FailureClass == FailureClass.Infrastructure || (maxAttempts == 1 && policy.MaxAttempts > 1) ? FailureClass.Infrastructure : policy.WhenRetriesExhausted;
                    return new AttemptsDone(request, null, false, attempts, new ConnectorException(lane, connector.Name, request.Operation, ex.Outcome, $"{ex.Message} (after {attempts} attempts)", ex.Fix, ex.Status, ex.RetryAfter, ex));
                }

                metrics.Retry(connector.Name);
                var delay = RetryDelay.Next(policy, attempts, ex.RetryAfter, jitter());
                try
                {
                    await Task.Delay(delay, time, circuit).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new AttemptsDone(request, null, false, attempts, CircuitOpenedMeanwhile(connector, request));
                }
            }
            catch (ConnectorException ex)
            {
                return new AttemptsDone(request, null, false, attempts, ex);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A connector bug is not the data's fault, nor the system's: park it for a human.
                return new AttemptsDone(request, null, false, attempts, new ConnectorException(FailureClass.Data, connector.Name, request.Operation, "contract", $"the connector failed unexpectedly: {ex.Message}", "report it; then retry the step or resolve it manually", innerException: ex));
            }
        }
    }

    private static ConnectorException CircuitOpenedMeanwhile(IConnector connector, ConnectorRequest request)
    {
        var (lane, fix) = FailureTable.Default.Classify("circuit-open");
        return new ConnectorException(lane, connector.Name, request.Operation, "circuit-open", "the circuit opened while the action was being retried", fix);
    }

    private void AttemptFailedSignal(AttemptFailed failed)
    {
        _metrics.AttemptFailed(_connector.Name, failed.Failure.FailureClass, failed.Failure.Outcome);
        if (++_consecutiveFailures >= _policy.CircuitFailureThreshold && _state == CircuitState.Closed)
        {
            Open(failed.Failure);
        }
    }

    private void Open(ConnectorException cause)
    {
        _circuitToken.Cancel();
        Persist(new ConnectorCircuitOpened(Time.GetUtcNow(), cause.Outcome, cause.Message), e =>
        {
            Apply(e);
            Timers.StartSingleTimer("probe", Probe.Instance, _policy.BreakDuration);
            foreach (var (key, waiters) in _waiters)
            {
                var position = PositionOf(key);
                foreach (var waiter in waiters)
                {
                    waiter.Tell(new ActionQueued(key, position), Self);
                }
            }
        });
    }

    private void Done(AttemptsDone done)
    {
        var key = done.Request.IdempotencyKey;
        if (done.Response is { } response)
        {
            _consecutiveFailures = 0;
            if (_state == CircuitState.HalfOpen)
            {
                var now = Time.GetUtcNow();
                Persist(new ConnectorCircuitClosed(now, now - _openedAt), e =>
                {
                    Apply(e);
                    _metrics.Recovered(_connector.Name, e.TimeToRecovery);
                });
            }

            Complete(new ConnectorActionCompleted(key, true, response.Status, response.Output, done.Verified, done.Attempts, null, null, null, null, done.Request.ReplyTo));
            return;
        }

        var failure = done.Failure!;
        if (failure.FailureClass == FailureClass.Infrastructure)
        {
            _started.Remove(key);
            // Stays queued at its place. The circuit is open or opening; a failed probe re-opens it.
            if (_state == CircuitState.HalfOpen)
            {
                _state = CircuitState.Open;
                _since = Time.GetUtcNow();
                Timers.StartSingleTimer("probe", Probe.Instance, _policy.BreakDuration);
            }
            else if (_state == CircuitState.Closed)
            {
                Open(failure);
            }

            return;
        }

        _metrics.ActionFailed(_connector.Name, failure.FailureClass);
        Complete(new ConnectorActionCompleted(key, false, failure.Status, null, false, done.Attempts, failure.FailureClass, failure.Outcome, failure.Message, failure.Fix, done.Request.ReplyTo));
    }

    /// <summary>Journals an outcome; the action holds its bulkhead slot (and stays pending) until it is written.</summary>
    private void Complete(ConnectorActionCompleted completed)
        => PersistAsync(completed, e =>
        {
            _started.Remove(e.IdempotencyKey);
            Apply(e);
            if (_waiters.Remove(e.IdempotencyKey, out var waiters) && e.ReplyTo is null)
            {
                var reply = Reply(e);
                foreach (var waiter in waiters)
                {
                    waiter.Tell(reply, Self);
                }
            }

            if (e.ReplyTo is not null)
            {
                Deliver(e);
            }

            Dispatch();
        });

    /// <summary>Sends an outcome to the entity that asked for it, through its route's region (which starts the entity if needed).</summary>
    private void Deliver(ConnectorActionCompleted outcome)
    {
        _undelivered[outcome.IdempotencyKey] = (outcome, Time.GetTimestamp());
        var slash = outcome.ReplyTo!.IndexOf('/', StringComparison.Ordinal);
        var route = slash > 0 ? outcome.ReplyTo[..slash] : outcome.ReplyTo;
        if (slash > 0 && ConnectorsExtension.Find(Context.System)?.Route(route) is { } region)
        {
            region.Tell(new Coordinator.Actors.Sharding.ShardEnvelope(outcome.ReplyTo[(slash + 1)..], Reply(outcome)), Self);
        }
        else if (_unroutable.Add(route))
        {
            ConnectorLog.Unroutable(Logger, _connector.Name, outcome.IdempotencyKey, outcome.ReplyTo);
        }
    }

    /// <summary>Delivers again the outcomes not acknowledged within <see cref="ConnectorPolicy.RedeliverAfter"/> (all of them after recovery), at most 1,000 at a time.</summary>
    private void RedeliverDue(bool all)
    {
        var due = Time.GetTimestamp() - (long)(_policy.RedeliverAfter.TotalSeconds * Time.TimestampFrequency);
        foreach (var (outcome, _) in _undelivered.Values.Where(u => all || u.SentAt <= due).Take(1_000).ToList())
        {
            Deliver(outcome);
        }
    }

    private static object Reply(ConnectorActionCompleted c)
        => c.Succeeded
            ? new ActionSucceeded(c.IdempotencyKey, c.Status ?? 0, c.Output ?? [], c.Verified, c.Attempts)
            : new ActionFailed(c.IdempotencyKey, c.Class ?? FailureClass.Data, c.Outcome ?? "unknown", c.Message ?? "", c.Fix ?? "", c.Status);

    private void Apply(object @event)
    {
        switch (@event)
        {
            case ConnectorActionAccepted accepted:
                _pending.Add(accepted.Request);
                break;
            case ConnectorActionCompleted completed:
                _pending.RemoveAll(p => p.IdempotencyKey == completed.IdempotencyKey);
                _completed[completed.IdempotencyKey] = completed;
                if (completed.ReplyTo is not null)
                {
                    _undelivered[completed.IdempotencyKey] = (completed, 0); // the entity may ask for it until it acknowledges
                }
                else
                {
                    Acknowledged(completed.IdempotencyKey); // its caller was answered directly
                }

                break;
            case ConnectorCircuitOpened opened:
                _state = CircuitState.Open;
                _since = _openedAt = opened.At;
                _opened++;
                _draining = false;
                break;
            case ConnectorCircuitClosed closed:
                _state = CircuitState.Closed;
                _since = closed.At;
                _lastRecovery = closed.TimeToRecovery;
                _consecutiveFailures = 0;
                _draining = true;
                break;
            case ConnectorActionDelivered delivered:
                _undelivered.Remove(delivered.IdempotencyKey);
                Acknowledged(delivered.IdempotencyKey);
                break;
            case ConnectorQueueReordered reordered:
                var first = reordered.Keys.Select(k => _pending.Find(p => p.IdempotencyKey == k)).OfType<ConnectorRequest>().ToList();
                var rest = _pending.Where(p => !first.Contains(p)).ToList();
                _pending.Clear();
                _pending.AddRange(first);
                _pending.AddRange(rest);
                break;
        }
    }

    /// <summary>
    /// <paramref name="key"/>'s outcome is acknowledged (or was answered directly): it joins the window of
    /// <see cref="ConnectorPolicy.OutboxWindow"/> acknowledged outcomes, and the oldest beyond it are
    /// forgotten. Outcomes not yet acknowledged are never in the window, so never forgotten.
    /// </summary>
    private void Acknowledged(string key)
    {
        if (_completed.ContainsKey(key) && _acknowledged.Add(key))
        {
            _acknowledgedOrder.Enqueue(key);
        }

        while (_acknowledgedOrder.Count > _policy.OutboxWindow)
        {
            var oldest = _acknowledgedOrder.Dequeue();
            _acknowledged.Remove(oldest);
            if (!_undelivered.ContainsKey(oldest))
            {
                _completed.Remove(oldest);
            }
        }
    }

    private void Restore(ConnectorSnapshot snapshot)
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
            _undelivered[outcome.IdempotencyKey] = (outcome, 0);
        }

        // Snapshots before the window counted only acknowledged outcomes listed undelivered ones here too; they stay unacknowledged.
        foreach (var completed in snapshot.Completed.Where(c => !_undelivered.ContainsKey(c.IdempotencyKey)))
        {
            _completed[completed.IdempotencyKey] = completed;
            Acknowledged(completed.IdempotencyKey);
        }

        (_state, _since, _openedAt, _opened, _lastRecovery, _draining) = (snapshot.State, snapshot.Since, snapshot.OpenedAt, snapshot.Opened, snapshot.LastRecovery, snapshot.Draining);
    }

    private sealed record AttemptsDone(ConnectorRequest Request, ConnectorResponse? Response, bool Verified, int Attempts, ConnectorException? Failure);

    private sealed record AttemptFailed(ConnectorException Failure);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class Probe
    {
        public static readonly Probe Instance = new();
    }

    private sealed class Redeliver
    {
        public static readonly Redeliver Instance = new();
    }
}
