using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Coordinator.Connectors;
using Coordinator.Contracts;
using Coordinator.Kafka.Ingress;
using Coordinator.Kafka.Sharding;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Actors.Steps;

/// <summary>
/// An entity fed by Kafka records that acts on the world through supervised connectors, one step
/// at a time.
/// <list type="bullet">
/// <item><b>Runs.</b> Each record starts a run: <see cref="ApplyRecord"/> folds it, then
/// <see cref="NextStep"/> names the next step from the state, until it returns null. A step's
/// outcome is folded by <see cref="ApplyStep"/>. Everything is journaled and recovery replays the
/// same folds, so the state, the active step and its idempotency key come back as they were.</item>
/// <item><b>Keys.</b> A step's action is keyed <c>{entity}/{event id}/{step}</c> (<c>#n</c> for
/// an operator's n-th retry; parts escaped by <see cref="IdempotencyKey"/>): stable across attempts, restarts and replays, so it takes effect once.</item>
/// <item><b>Holding.</b> While a step is active, later records are journaled and their Kafka
/// offsets released (the partition flows for every other entity) but they are applied only when
/// the step ends, in order. At most <see cref="MaxHeldRecords"/> are held; further ones wait
/// unjournaled and the ingress applies backpressure.</item>
/// <item><b>Parking.</b> A data failure parks the step as <see cref="StepStatus.NeedsAttention"/>
/// with the error, the input and the fix. Operator commands (<see cref="RetryStep"/>,
/// <see cref="SkipStep"/>, <see cref="CancelStep"/>, <see cref="ResolveStepManually"/>) release
/// it; each is journaled with the operator's name and reason.</item>
/// <item><b>Pure folds.</b> Journaled events change the state only through <see cref="ApplyRecord"/>,
/// <see cref="ApplyStep"/> and the step fold, which neither read the clock nor send anything;
/// sending the active step's action is an effect done after a live fold (and after recovery),
/// never inside it.</item>
/// <item><b>Nothing lost in between.</b> What caused an action (a record, an earlier outcome, a
/// retry) is acknowledged only once the connector has the action in its outbox. Outcomes come back
/// through the entity's region until the entity acknowledges them, so a sleeping, restarted or
/// crashed entity still learns each one.</item>
/// </list>
/// </summary>
public abstract class StepEntity : RecordEntity, IWithTimers
{
    private static readonly TimeSpan ResendInterval = TimeSpan.FromSeconds(5);
    private readonly Queue<IngressEvent> _inbox = new();
    private readonly HashSet<string> _runSteps = new(StringComparer.Ordinal);
    private readonly List<Held> _unacknowledged = [];
    private ActiveStep? _active;
    private string? _trigger;
    private string? _sent;
    private bool _live;
    private ConnectorsExtension? _connectors;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>How many records may be held behind an active step before further ones wait unjournaled. <value>Default: 10,000.</value></summary>
    protected virtual int MaxHeldRecords => 10_000;

    /// <summary>The region name under which connectors deliver outcomes here. <value>Default: the region's actor name (the shard's parent).</value></summary>
    protected virtual string Route => Context.Parent.Path.Parent.Name;

    /// <inheritdoc />
    protected sealed override bool AcceptingRecords => _inbox.Count < MaxHeldRecords;

    private ConnectorsExtension Connectors => _connectors ??= ConnectorsExtension.Find(Context.System)
        ?? throw new InvalidOperationException($"No connectors are started for actor system {Context.System.Name}; call ConnectorsExtension.Start before starting step entities.");

    private DateTimeOffset Now => Connectors.Time.GetUtcNow();

    /// <summary>Folds a record into the state when its turn comes. Deterministic: recovery calls it again.</summary>
    protected abstract void ApplyRecord(IngressEvent record);

    /// <summary>The next step of the current run, from the state; null when the run is done. Deterministic, and a step's name is used once per run.</summary>
    protected abstract StepPlan? NextStep();

    /// <summary>Folds a concluded step into the state. Deterministic: recovery calls it again.</summary>
    protected abstract void ApplyStep(StepOutcome outcome);

    /// <summary>Handles other messages (queries); false if not handled.</summary>
    protected virtual bool ReceiveMessage(object message) => false;

    /// <inheritdoc />
    protected sealed override void Apply(IngressEvent record)
    {
        _inbox.Enqueue(record);
        Pump(null);
        Drive();
    }

    /// <inheritdoc />
    protected sealed override bool RecoverOther(object message)
    {
        switch (message)
        {
            case StepSucceeded or StepParked or StepResolved:
                Fold(message);
                return true;
            case RecoveryCompleted:
                _live = true;
                Drive();
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc />
    protected sealed override bool ReceiveOther(object message)
    {
        switch (message)
        {
            case ActionAccepted accepted when accepted.IdempotencyKey == _active?.Key && !_active.Accepted:
                _active.Accepted = true;
                Timers.Cancel(ResendTimer);
                Settle();
                return true;
            case ActionAccepted:
                return true;
            case ActionQueued queued when queued.IdempotencyKey == _active?.Key && _active.Status == StepStatus.Running:
                _active.Status = StepStatus.Queued;
                _active.Since = Now;
                return true;
            case ActionQueued or ActionOutcomeReceived:
                return true;
            case ActionSucceeded succeeded:
                Outcome(succeeded.IdempotencyKey, succeeded);
                return true;
            case ActionFailed failed:
                Outcome(failed.IdempotencyKey, failed);
                return true;
            case Resend when _active is { Accepted: false, Status: not StepStatus.NeedsAttention }:
                Send();
                return true;
            case Resend:
                return true;
            case StepCommand command:
                Command(command);
                return true;
            case GetSteps:
                Sender.Tell(new StepsView(EntityId, _active?.View(), _inbox.Count + WaitingRecords), Self);
                return true;
            default:
                return ReceiveMessage(message);
        }
    }

    /// <inheritdoc />
    protected sealed override void Acknowledge(RecordDelivery delivery, IActorRef replyTo) => Hold(new Held(delivery, replyTo, null));

    /// <summary>Deliveries held for an action not yet accepted are failed: their partition rewinds and they come again to the next incarnation, which sends the action again.</summary>
    protected override void PostStop()
    {
        foreach (var held in _unacknowledged)
        {
            if (held.Delivery is { } delivery)
            {
                Reply(delivery, held.To, RecordOutcome.Failed, "The entity stopped before its step's action was in the connector's outbox.");
            }
        }

        _unacknowledged.Clear();
        base.PostStop();
    }

    private const string ResendTimer = "resend";

    /// <summary>
    /// Applies the next records while no step is active. A record's first step starts at <paramref name="at"/>
    /// (the time of the event that ended the step it waited behind) or, when it waited for nothing, at the
    /// record's journaled timestamp: the fold never reads the clock, so replay gives the same times.
    /// </summary>
    private void Pump(DateTimeOffset? at)
    {
        while (_active is null && _inbox.Count > 0)
        {
            var record = _inbox.Dequeue();
            _trigger = record.EventId;
            _runSteps.Clear();
            ApplyRecord(record);
            Advance(at ?? record.Timestamp);
        }
    }

    /// <summary>Makes the active step, if any, the run's next step as of <paramref name="at"/> (a time from the event being folded).</summary>
    private void Advance(DateTimeOffset at)
    {
        if (NextStep() is not { } plan)
        {
            return;
        }

        if (string.IsNullOrEmpty(plan.Name) || !plan.Name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            BadStep(plan.Name, "its name must be letters, digits, '-', '_' or '.'");
            return;
        }

        if (!_runSteps.Add(plan.Name))
        {
            BadStep(plan.Name, "it already ran in this run; fold its outcome in ApplyStep so NextStep moves on");
            return;
        }

        _active = new ActiveStep(plan, _trigger!, IdempotencyKey.Compose(EntityId, _trigger!, plan.Name), at);
    }

    private void BadStep(string step, string problem)
    {
        if (_live)
        {
            Log.Error("Entity {0}: NextStep named step '{1}', which cannot run because {2}; the run of event {3} ends here", EntityId, step, problem, _trigger);
        }
    }

    /// <summary>
    /// The effects of the state after a fold, when live: the active step's action is sent once per
    /// key in this incarnation (again after a restart: the key makes it take effect once); records
    /// that waited for room behind the active step are taken, as far as <see cref="MaxHeldRecords"/> allows.
    /// </summary>
    private void Drive()
    {
        if (!_live)
        {
            return;
        }

        if (_active is { Status: not StepStatus.NeedsAttention } active && _sent != active.Key)
        {
            Send();
        }

        ResumeRecords();
    }

    /// <summary>Sends the active step's action to its connector.</summary>
    private void Send()
    {
        var active = _active!;
        _sent = active.Key;
        active.Accepted = false;
        var request = new ConnectorRequest(active.Plan.Connector, active.Plan.Operation, active.Key, EntityId, (JsonObject)active.Plan.Input.DeepClone(), active.Plan.Timeout, $"{Route}/{EntityId}");
        if (Connectors.Supervisor(active.Plan.Connector) is not { } supervisor)
        {
            Self.Tell(new ActionFailed(active.Key, FailureClass.Data, "unknown-connector", $"no connector named '{active.Plan.Connector}' is configured", $"declare Coordinator:Connectors:{active.Plan.Connector} (or correct the step's connector), restart, then retry the step", null), Self);
            return;
        }

        supervisor.Tell(new Execute(request), Self);
        Timers.StartSingleTimer(ResendTimer, Resend.Instance, ResendInterval);
    }

    private void Outcome(string key, object outcome)
    {
        var active = _active;
        if (active is null || key != active.Key || active.Status == StepStatus.NeedsAttention)
        {
            Sender.Tell(new ActionOutcomeReceived(key), Self); // already folded, or of an earlier revision
            return;
        }

        var supervisor = Sender;
        Timers.Cancel(ResendTimer);
        switch (outcome)
        {
            case ActionSucceeded s:
                Persist(new StepSucceeded(active.Plan.Name, key, s.Status, s.Output, s.Verified, s.Attempts, Now), e =>
                {
                    Connectors.Metrics.StepConcluded(active.Plan.Connector, nameof(StepResolution.Succeeded));
                    Fold(e);
                    Hold(new Held(null, supervisor, new ActionOutcomeReceived(key)));
                    Drive();
                });
                return;
            case ActionFailed { Class: FailureClass.Data } f:
                var failure = new StepFailure(f.Class, f.Outcome, f.Message, f.Fix, f.Status);
                Persist(new StepParked(active.Plan.Name, key, active.Plan.Connector, active.Plan.Operation, active.Plan.Input, failure, Now), e =>
                {
                    Fold(e);
                    Connectors.Metrics.StepParked(active.Plan.Connector, f.Outcome);
                    Context.System.EventStream.Publish(new StepNeedsAttention(EntityId, _active!.View()));
                    Log.Warning("Entity {0}: step {1} needs attention ({2}): {3}. Fix: {4}", EntityId, key, f.Outcome, f.Message, f.Fix);
                    Hold(new Held(null, supervisor, new ActionOutcomeReceived(key))); // parked: settles at once, with anything held before
                    Drive();
                });
                return;
            default:
                // Not taken (the connector is saturated) or not finished: ask again shortly.
                active.Accepted = false;
                Timers.StartSingleTimer(ResendTimer, Resend.Instance, ResendInterval);
                return;
        }
    }

    private void Command(StepCommand command)
    {
        var active = _active;
        string? problem = null;
        if (string.IsNullOrWhiteSpace(command.Operator))
        {
            problem = "Operator is empty; name who decides: operator commands are audited.";
        }
        else if (active is null || active.Key != command.IdempotencyKey)
        {
            problem = active is null
                ? $"entity '{EntityId}' has no active step; nothing to resolve."
                : $"the active step of '{EntityId}' is {active.Key}, not {command.IdempotencyKey}; look again (GetSteps) and name it.";
        }
        else if (active.Status != StepStatus.NeedsAttention)
        {
            problem = $"step {active.Key} is {active.Status}, not parked; only a parked step takes operator commands.";
        }

        if (problem is not null)
        {
            Sender.Tell(new StepCommandRejected(command.IdempotencyKey, problem), Self);
            return;
        }

        (StepResolution Resolution, JsonObject? Input, JsonObject? Output) decision = command switch
        {
            RetryStep retry => (StepResolution.Retried, JsonMergePatch.Edit(active!.Plan.Input, retry.Edit), null),
            SkipStep => (StepResolution.Skipped, null, null),
            CancelStep => (StepResolution.Cancelled, null, null),
            ResolveStepManually manual => (StepResolution.ResolvedManually, null, (JsonObject?)manual.Output?.DeepClone()),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "an unknown step command"),
        };
        var resolved = new StepResolved(active!.Plan.Name, active.Key, decision.Resolution, decision.Input, decision.Output, command.Operator, command.Reason ?? "", Now);
        var sender = Sender;
        var connector = active.Plan.Connector;
        Persist(new Audited(resolved, $"operator:{command.Operator}", EntityId), _ =>
        {
            Fold(resolved);
            Connectors.Metrics.ManualFallback(connector, resolved.Resolution.ToString());
            if (resolved.Resolution != StepResolution.Retried)
            {
                Connectors.Metrics.StepConcluded(connector, resolved.Resolution.ToString());
            }

            Context.System.EventStream.Publish(new StepReleased(EntityId, resolved.IdempotencyKey, resolved.Resolution, resolved.Operator));
            Log.Info("Entity {0}: step {1} {2} by operator {3}: {4}", EntityId, resolved.IdempotencyKey, resolved.Resolution, resolved.Operator, resolved.Reason);
            Drive(); // a retry sends its new key now, so the acknowledgement below waits for its acceptance
            Hold(new Held(null, sender, new StepCommandAccepted(resolved.IdempotencyKey, resolved.Resolution, resolved.Resolution == StepResolution.Retried ? _active?.Key : null)));
        });
    }

    /// <summary>
    /// Folds a step event (live after it is journaled, and on recovery): state only, no effects.
    /// Times come from the events (taken from the injected clock when they were journaled), never from the clock.
    /// </summary>
    private void Fold(object @event)
    {
        var active = _active ?? throw new InvalidOperationException($"Entity '{EntityId}' has a step event ({@event.GetType().Name}) but no active step: the journal does not match NextStep. Check that NextStep is deterministic.");
        switch (@event)
        {
            case StepSucceeded s:
                // Journaled before At existed: the step's own start, which is as deterministic.
                Conclude(new StepOutcome(s.Step, s.IdempotencyKey, StepResolution.Succeeded, s.Output, null), s.At ?? active.Since);
                break;
            case StepParked p:
                active.Status = StepStatus.NeedsAttention;
                active.Failure = p.Failure;
                active.Since = p.At;
                break;
            case StepResolved { Resolution: StepResolution.Retried } r:
                active.Revise(r.Input ?? active.Plan.Input, IdempotencyKey.Compose(EntityId, active.TriggeredBy, active.Plan.Name, active.Revision + 2), r.At);
                break;
            case StepResolved r:
                Conclude(new StepOutcome(r.Step, r.IdempotencyKey, r.Resolution, r.Output, r.Operator), r.At);
                break;
        }
    }

    /// <summary>Ends the active step as of <paramref name="at"/> (the concluding event's time); the run's next step, or the next record's, starts then.</summary>
    private void Conclude(StepOutcome outcome, DateTimeOffset at)
    {
        _active = null;
        ApplyStep(outcome);
        if (outcome.Resolution != StepResolution.Cancelled)
        {
            Advance(at);
        }

        Pump(at);
    }

    /// <summary>Acknowledges <paramref name="held"/> (a delivery, or a reply to send) now, or once the active step's action is accepted.</summary>
    private void Hold(Held held)
    {
        _unacknowledged.Add(held);
        Settle();
    }

    private void Settle()
    {
        if (_active is { Accepted: false, Status: not StepStatus.NeedsAttention } || _unacknowledged.Count == 0)
        {
            return;
        }

        foreach (var held in _unacknowledged)
        {
            if (held.Delivery is { } delivery)
            {
                Reply(delivery, held.To, RecordOutcome.Applied);
            }
            else
            {
                held.To.Tell(held.Message, Self);
            }
        }

        _unacknowledged.Clear();
    }

    /// <summary>A delivery to acknowledge, or a message to send, once the active step's action is accepted.</summary>
    private sealed record Held(RecordDelivery? Delivery, IActorRef To, object? Message);

    private sealed class Resend : INoSerializationVerificationNeeded
    {
        public static readonly Resend Instance = new();
    }

    private sealed class ActiveStep(StepPlan plan, string triggeredBy, string key, DateTimeOffset since)
    {
        public StepPlan Plan { get; private set; } = plan;

        public string TriggeredBy { get; } = triggeredBy;

        public string Key { get; private set; } = key;

        public int Revision { get; private set; }

        public StepStatus Status { get; set; } = StepStatus.Running;

        public StepFailure? Failure { get; set; }

        public DateTimeOffset Since { get; set; } = since;

        public bool Accepted { get; set; }

        public void Revise(JsonObject input, string key, DateTimeOffset at)
        {
            Plan = Plan with { Input = input };
            Key = key;
            Revision++;
            Status = StepStatus.Running;
            Failure = null;
            Since = at;
            Accepted = false;
        }

        public StepView View() => new(Plan.Name, Key, Plan.Connector, Plan.Operation, Status, (JsonObject)Plan.Input.DeepClone(), Failure, Since, Revision, TriggeredBy);
    }
}
