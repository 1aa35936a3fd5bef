using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Connectors;

/// <summary>
/// One connector's supervisor: its outbox, bulkhead, rate limit, retries and circuit, as one
/// Akka.NET persistent actor (persistence id <c>connector-{name}</c>).
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
/// <see cref="ConnectorPolicy.WhenRetriesExhausted"/>. The waits run on the supervisor's
/// <see cref="TimeProvider"/>.</item>
/// <item><b>Delivery.</b> A request with a <see cref="ConnectorRequest.ReplyTo"/> (<c>{route}/{entity id}</c>) is answered
/// <see cref="ActionAccepted"/> once journaled; its outcome goes to that entity through its
/// route's shard region (a <see cref="ShardingEnvelope"/>), and again every <see cref="ConnectorPolicy.RedeliverAfter"/> and after a restart,
/// until the entity acknowledges it (<see cref="ActionOutcomeReceived"/>). So an entity that
/// sleeps, restarts or crashes still learns every outcome, and learns it once in effect.</item>
/// <item><b>Data lane.</b> Completed as failed and answered with <see cref="ActionFailed"/>: the
/// caller parks that one step for an operator.</item>
/// <item><b>Infrastructure lane.</b> <see cref="ConnectorPolicy.CircuitFailureThreshold"/> failed
/// attempts in a row open the circuit (a journaled event). Actions then stay queued, durably,
/// in order; after <see cref="ConnectorPolicy.BreakDuration"/> the head of the queue runs as a
/// probe (journaled: half-open); its failure re-opens the circuit (journaled), its success closes it (journaled with the time to recovery) and the queue
/// drains one at a time, in order, at <see cref="ConnectorPolicy.DrainPerSecond"/>.</item>
/// <item><b>Operators.</b> <see cref="ReorderQueue"/> and <see cref="DrainQueue"/> are journaled with
/// <c>caused_by = operator:{name}</c>.</item>
/// </list>
/// Recovery is the fold of the journal (<see cref="ConnectorState"/>), from the latest snapshot
/// (saved every <see cref="ConnectorPolicy.SnapshotEvery"/> events). A failed journal write stops
/// the actor; its <see cref="Akka.Pattern.BackoffSupervisor"/> (see <see cref="ConnectorsExtension"/>) starts it again.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "An actor's end of life is PostStop, which disposes the token.")]
public sealed class ConnectorSupervisor : UntypedPersistentActor, IWithTimers
{
    private readonly IConnector _connector;
    private readonly ConnectorPolicy _policy;
    private readonly ConnectorMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Func<string, IActorRef?>? _routes;
    private readonly Func<double> _jitter;
    private readonly ConnectorState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // What lives only as long as this incarnation; recovery need not rebuild it.
    private readonly HashSet<string> _started = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<IActorRef>> _waiters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(ConnectorRequest Request, IActorRef Sender)>> _accepting = new(StringComparer.Ordinal);
    private readonly HashSet<string> _acknowledging = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _sentAt = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unroutable = new(StringComparer.Ordinal);
    private int _consecutiveFailures;
    private bool _resuming;
    private long _nextStart;

    /// <summary>How many starts may go at once, as time at the rate: one tick of Akka's scheduler.</summary>
    private static readonly TimeSpan RateBurst = TimeSpan.FromMilliseconds(10);
    private readonly DateTimeOffset _startedAt;
    private CancellationTokenSource _circuitToken = new();

    /// <summary>
    /// Creates the supervisor of <paramref name="connector"/>.
    /// </summary>
    /// <param name="connector">The connector.</param>
    /// <param name="metrics">The instruments.</param>
    /// <param name="time">Timestamps, the rate limiter and the retries' waits; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="jitter">Draws the retry jitter (seed it for reproducible tests); default <see cref="Random.Shared"/>.</param>
    /// <param name="routes">Finds the region of a route; default: the routes of <see cref="ConnectorsExtension.Find"/>.</param>
    public ConnectorSupervisor(IConnector connector, ConnectorMetrics metrics, TimeProvider? time = null, Random? jitter = null, Func<string, IActorRef?>? routes = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(metrics);
        _connector = connector;
        _policy = connector.Policy;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _routes = routes;
        _state = new ConnectorState(_policy.OutboxWindow);
        _startedAt = _time.GetUtcNow(); // a circuit that never opened has been closed since this start
        _jitter = jitter is null ? Random.Shared.NextDouble : () =>
        {
            lock (jitter)
            {
                return jitter.NextDouble();
            }
        };
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public override string PersistenceId => $"connector-{_connector.Name}";

    /// <summary>Props for the supervisor of <paramref name="connector"/> (see the constructor for the parameters).</summary>
    public static Props Props(IConnector connector, ConnectorMetrics metrics, TimeProvider? time = null, Random? jitter = null, Func<string, IActorRef?>? routes = null)
        => Akka.Actor.Props.Create(() => new ConnectorSupervisor(connector, metrics, time, jitter, routes));

    private IReadOnlyList<ConnectorRequest> Pending => _state.Outbox.Pending;

    private ConnectorCircuit Circuit => _state.Circuit;

    /// <inheritdoc />
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: ConnectorSnapshot snapshot }:
                _state.Restore(snapshot);
                break;
            case RecoveryCompleted:
                Recovered();
                break;
            default:
                _state.Apply(message);
                break;
        }
    }

    private void Recovered()
    {
        _metrics.ObserveQueue(_connector.Name, () => Pending.Count);
        Timers.StartPeriodicTimer("redeliver", Redeliver.Instance, _policy.RedeliverAfter);
        RedeliverDue(all: true);
        switch (Circuit.State)
        {
            case CircuitState.Open:
                // The break runs from when the circuit (re-)opened, as journaled.
                var left = Circuit.Since + _policy.BreakDuration - _time.GetUtcNow();
                Timers.StartSingleTimer("probe", Probe.Instance, left < TimeSpan.Zero ? TimeSpan.Zero : left > _policy.BreakDuration ? _policy.BreakDuration : left);
                break;
            default:
                // Pending after a crash: run again under the same key, one at a time in order; the
                // system applies each once. Half-open: the probe was lost with the incarnation, so
                // the head of the queue is tried again as the probe.
                _resuming = Pending.Count > 0;
                Dispatch();
                break;
        }
    }

    /// <inheritdoc />
    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case Execute { Request: var request }:
                Accept(request, Sender);
                break;
            case AttemptsDone done:
                Done(done);
                break;
            case AttemptFailed failed:
                OnAttemptFailed(failed);
                break;
            case Tick:
                Dispatch();
                break;
            case ActionOutcomeReceived { IdempotencyKey: var received }:
                Acknowledge(received);
                break;
            case Redeliver:
                RedeliverDue(all: false);
                break;
            case SaveSnapshotSuccess:
                break;
            case SaveSnapshotFailure failure:
                _log.Warning(failure.Cause, "Connector {0}: saving the snapshot at event {1} failed; recovery replays more events until the next one succeeds", _connector.Name, failure.Metadata.SequenceNr);
                break;
            case Probe:
                OnProbe();
                break;
            case GetQueue:
                Sender.Tell(new QueueView(_connector.Name, [.. Pending]), Self);
                break;
            case GetCircuit:
                Sender.Tell(View(), Self);
                break;
            case ReorderQueue reorder:
                Reorder(reorder, Sender);
                break;
            case DrainQueue drain:
                Drain(drain, Sender);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _circuitToken.Cancel();
        _circuitToken.Dispose();
        base.PostStop();
    }

    /// <summary>The journal refused an event (nothing written): an accept is answered as busy, a completion runs again later under the same key.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        ArgumentNullException.ThrowIfNull(cause);
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
            case ConnectorActionDelivered { IdempotencyKey: var key }:
                _acknowledging.Remove(key); // the entity will acknowledge again on the next delivery
                break;
            default:
                base.OnPersistRejected(cause, @event, sequenceNr);
                break;
        }
    }

    /// <summary>Persists <paramref name="event"/>, folds it, then runs <paramref name="then"/>; snapshots when due.</summary>
    private void Record<TEvent>(TEvent @event, Action<TEvent>? then = null, bool async = false, string? causedBy = null)
        where TEvent : notnull
    {
        object written = causedBy is null ? @event : new Audited(@event, causedBy);
        void Handler(object _)
        {
            _state.Apply(@event);
            then?.Invoke(@event);
            if (_policy.SnapshotEvery > 0 && LastSequenceNr % _policy.SnapshotEvery == 0)
            {
                SaveSnapshot(_state.ToSnapshot());
            }
        }

        if (async)
        {
            PersistAsync(written, Handler);
        }
        else
        {
            Persist(written, Handler);
        }
    }

    private void Accept(ConnectorRequest request, IActorRef sender)
    {
        var key = request.IdempotencyKey;
        if (_state.Outbox.Outcome(key) is { } completed)
        {
            _metrics.DuplicatePrevented(_connector.Name);
            if (request.ReplyTo is not null)
            {
                sender.Tell(new ActionAccepted(key), Self);
            }

            sender.Tell(Reply(completed), Self);
            return;
        }

        if (_state.Outbox.PositionOf(key) >= 0)
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

        if (Pending.Count + _accepting.Count >= _policy.MaxWaiting)
        {
            sender.Tell(new ActionFailed(key, FailureClass.Transient, "busy", $"{_connector.Name} has {Pending.Count} actions waiting", "the connector is saturated; retry later or raise Policy:MaxWaiting", null), Self);
            return;
        }

        // PersistAsync: the supervisor goes on taking requests while this one is written, so the
        // journal writes many in one batch; requests for the same key meanwhile join it.
        _accepting[key] = [(request, sender)];
        Record(new ConnectorActionAccepted(request), _ =>
        {
            if (_accepting.Remove(key, out var callers))
            {
                foreach (var (r, s) in callers)
                {
                    Joined(r, s);
                }
            }

            Dispatch();
        }, async: true);
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

        if (Circuit.State != CircuitState.Closed)
        {
            sender.Tell(new ActionQueued(key, _state.Outbox.PositionOf(key)), Self);
        }
    }

    private void Wait(string key, IActorRef sender)
    {
        if (!_waiters.TryGetValue(key, out var list))
        {
            _waiters[key] = list = [];
        }

        if (!sender.Equals(Self) && !sender.IsNobody())
        {
            list.Add(sender);
        }
    }

    private CircuitView View() => new(_connector.Name, Circuit.State, Circuit.Since == default ? _startedAt : Circuit.Since, Circuit.Opened, Circuit.LastRecovery, Pending.Count, _started.Count);

    private void Reorder(ReorderQueue reorder, IActorRef sender)
        => Record(new ConnectorQueueReordered(reorder.Keys, reorder.Operator), _ => sender.Tell(new QueueView(_connector.Name, [.. Pending]), Self), causedBy: Operator(reorder.Operator));

    private void Drain(DrainQueue drain, IActorRef sender)
        => Record(new ConnectorDrainRequested(drain.Operator), _ =>
        {
            if (Circuit.State == CircuitState.Open)
            {
                Timers.Cancel("probe");
                Self.Tell(Probe.Instance, Self);
            }

            sender.Tell(View(), Self);
        }, causedBy: Operator(drain.Operator));

    private static string Operator(string name) => "operator:" + name;

    private void OnProbe()
    {
        if (Circuit.OnBreakOver(_time.GetUtcNow()) is { } halfOpened)
        {
            Record(halfOpened, _ =>
            {
                if (_circuitToken.IsCancellationRequested)
                {
                    _circuitToken.Dispose();
                    _circuitToken = new CancellationTokenSource();
                }

                Dispatch();
            });
        }
    }

    /// <summary>Starts what the circuit, the bulkhead and the rate allow, in queue order.</summary>
    private void Dispatch()
    {
        var inOrder = Circuit.Draining || _resuming;
        var limit = Circuit.State switch
        {
            CircuitState.Open => 0,
            CircuitState.HalfOpen => 1, // the probe
            _ when inOrder => 1, // a recovered queue drains one at a time, in order
            _ => _policy.MaxConcurrentCalls,
        };
        var rate = inOrder || Circuit.State == CircuitState.HalfOpen ? _policy.DrainPerSecond : _policy.RatePerSecond;
        var interval = (long)(_time.TimestampFrequency / rate);

        // Starts may be booked up to one scheduler tick ahead (a token bucket of a tick's worth):
        // Akka's timers fire on a 10 ms wheel (akka.scheduler.tick-duration), so a wait shorter
        // than that lasts a whole tick, and a limiter that let one start through per 1/rate
        // seconds held any rate near 100 starts per second. The average stays at the rate.
        // Slack: how far ahead of now the next start may be booked (0 at rates under 100/s: one at a time).
        var slack = Math.Max(0, ((long)(_time.TimestampFrequency * RateBurst.TotalSeconds) / Math.Max(1, interval)) - 1) * interval;
        foreach (var request in Pending)
        {
            if (_started.Count >= limit)
            {
                return;
            }

            if (_started.Contains(request.IdempotencyKey))
            {
                continue;
            }

            var now = _time.GetTimestamp();
            if (_nextStart - now > slack)
            {
                Timers.StartSingleTimer("rate", Tick.Instance, TimeSpan.FromSeconds((_nextStart - slack - now) / (double)_time.TimestampFrequency));
                return;
            }

            _nextStart = Math.Max(now, _nextStart) + interval;
            _started.Add(request.IdempotencyKey);
            Start(request, probe: Circuit.State == CircuitState.HalfOpen);
        }

        if (_started.Count == 0 && Pending.Count == 0)
        {
            _resuming = false;
        }
    }

    private void Start(ConnectorRequest request, bool probe)
    {
        var self = Self;
        var (connector, policy, metrics, time, jitter, circuit) = (_connector, _policy, _metrics, _time, _jitter, _circuitToken.Token);
        _ = Task.Run(async () =>
        {
            var result = await RunAsync(connector, policy, metrics, time, jitter, request, self, probe ? 1 : policy.MaxAttempts, circuit).ConfigureAwait(false);
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

    private void OnAttemptFailed(AttemptFailed failed)
    {
        _metrics.AttemptFailed(_connector.Name, failed.Failure.FailureClass, failed.Failure.Outcome);
        if (++_consecutiveFailures >= _policy.CircuitFailureThreshold && Circuit.OnFailure(_time.GetUtcNow(), failed.Failure) is { } opened)
        {
            Open(opened);
        }
    }

    /// <summary>Journals the circuit's opening (or re-opening after a failed probe); retries in flight stop, the queue waits out the break.</summary>
    private void Open<TEvent>(TEvent opened)
        where TEvent : notnull
    {
        _circuitToken.Cancel();
        Record(opened, _ =>
        {
            Timers.StartSingleTimer("probe", Probe.Instance, _policy.BreakDuration);
            foreach (var (key, waiters) in _waiters)
            {
                var position = _state.Outbox.PositionOf(key);
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
        var now = _time.GetUtcNow();
        if (done.Response is { } response)
        {
            _consecutiveFailures = 0;
            if (Circuit.OnSuccess(now) is { } closed)
            {
                Record(closed, e => _metrics.Recovered(_connector.Name, e.TimeToRecovery));
            }

            Complete(new ConnectorActionCompleted(key, true, response.Status, response.Output, done.Verified, done.Attempts, null, null, null, null, done.Request.ReplyTo));
            return;
        }

        var failure = done.Failure!;
        if (failure.FailureClass == FailureClass.Infrastructure)
        {
            _started.Remove(key);
            // Stays queued at its place. The circuit is open or opening; a failed probe re-opens it.
            switch (Circuit.OnInfrastructureFailure(now, failure))
            {
                case ConnectorProbeFailed reopened:
                    Open(reopened);
                    break;
                case ConnectorCircuitOpened opened:
                    Open(opened);
                    break;
            }

            return;
        }

        _metrics.ActionFailed(_connector.Name, failure.FailureClass);
        Complete(new ConnectorActionCompleted(key, false, failure.Status, null, false, done.Attempts, failure.FailureClass, failure.Outcome, failure.Message, failure.Fix, done.Request.ReplyTo));
    }

    /// <summary>Journals an outcome; the action holds its bulkhead slot (and stays pending) until it is written.</summary>
    private void Complete(ConnectorActionCompleted completed)
        => Record(completed, e =>
        {
            _started.Remove(e.IdempotencyKey);
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
        }, async: true);

    /// <summary>The entity has journaled the outcome: journal that (the outcome stays in the outbox until then, so a repeat is still answered from it).</summary>
    private void Acknowledge(string key)
    {
        if (_state.Outbox.IsUndelivered(key) && _acknowledging.Add(key))
        {
            Record(new ConnectorActionDelivered(key), e =>
            {
                _acknowledging.Remove(e.IdempotencyKey);
                _sentAt.Remove(e.IdempotencyKey);
            }, async: true);
        }
    }

    /// <summary>Sends an outcome to the entity that asked for it, through its route's region (which starts the entity if needed).</summary>
    private void Deliver(ConnectorActionCompleted outcome)
    {
        _sentAt[outcome.IdempotencyKey] = _time.GetTimestamp();
        var replyTo = outcome.ReplyTo!;
        var slash = replyTo.IndexOf('/', StringComparison.Ordinal);
        var route = slash > 0 ? replyTo[..slash] : replyTo;
        var region = slash > 0 ? (_routes ?? DefaultRoutes)(route) : null;
        if (region is not null)
        {
            region.Tell(new ShardingEnvelope(replyTo[(slash + 1)..], Reply(outcome)), Self);
        }
        else if (_unroutable.Add(route))
        {
            _log.Warning("Connector {0}: the outcome of {1} is for {2}, whose route is not registered (ConnectorsExtension.AddRoute); it stays in the outbox and is delivered again every RedeliverAfter", _connector.Name, outcome.IdempotencyKey, replyTo);
        }
    }

    private IActorRef? DefaultRoutes(string route) => ConnectorsExtension.Find(Context.System)?.Route(route);

    /// <summary>Delivers again the outcomes not acknowledged within <see cref="ConnectorPolicy.RedeliverAfter"/> (all of them after recovery; none whose acknowledgement is being journaled), at most 1,000 at a time.</summary>
    private void RedeliverDue(bool all)
    {
        var due = _time.GetTimestamp() - (long)(_policy.RedeliverAfter.TotalSeconds * _time.TimestampFrequency);
        var outbox = _state.Outbox;
        foreach (var key in outbox.Undelivered.Where(k => !_acknowledging.Contains(k) && (all || _sentAt.GetValueOrDefault(k) <= due)).Take(1_000).ToList())
        {
            Deliver(outbox.Outcome(key)!);
        }
    }

    private static object Reply(ConnectorActionCompleted c)
        => c.Succeeded
            ? new ActionSucceeded(c.IdempotencyKey, c.Status ?? 0, c.Output ?? [], c.Verified, c.Attempts)
            : new ActionFailed(c.IdempotencyKey, c.Class ?? FailureClass.Data, c.Outcome ?? "unknown", c.Message ?? "", c.Fix ?? "", c.Status);

    // The actor's own messages never leave it, so they skip serialize-messages' check.
    private sealed record AttemptsDone(ConnectorRequest Request, ConnectorResponse? Response, bool Verified, int Attempts, ConnectorException? Failure) : INoSerializationVerificationNeeded;

    private sealed record AttemptFailed(ConnectorException Failure) : INoSerializationVerificationNeeded;

    private sealed class Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    private sealed class Probe : INoSerializationVerificationNeeded
    {
        public static readonly Probe Instance = new();
    }

    private sealed class Redeliver : INoSerializationVerificationNeeded
    {
        public static readonly Redeliver Instance = new();
    }
}
