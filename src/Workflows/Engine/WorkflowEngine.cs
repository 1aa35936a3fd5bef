using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Coordinator.Contracts;
using Coordinator.Workflows.Definitions;
using Coordinator.Workflows.Expressions;
using Coordinator.Workflows.Guards;

namespace Coordinator.Workflows.Engine;

/// <summary>
/// The decision engine: <see cref="Decide"/> turns (definition, state, input) into events and
/// effects, and <see cref="Apply(InstanceState, WorkflowEvent)"/> folds an event into the state. Pure and deterministic: no
/// clock (time arrives in inputs), no randomness, no I/O. The guard rails are checked again on
/// every action, whatever the definition says.
/// </summary>
public static class WorkflowEngine
{
    /// <summary>Decides what an input means for an instance.</summary>
    /// <param name="definition">The definition the instance is pinned to.</param>
    /// <param name="state">The instance's state.</param>
    /// <param name="input">What happened.</param>
    /// <param name="guards">The guard rails in force now.</param>
    /// <returns>The events and effects, or a rejection.</returns>
    public static Decision Decide(WorkflowDefinition definition, InstanceState state, WorkflowInput input, GuardRails guards)
    {
        if (state.Status != InstanceStatus.NotStarted && (state.Definition != definition.Name || state.Version != definition.Version))
        {
            return Decision.Rejected($"instance {state.InstanceId} is pinned to {state.Definition} version {state.Version}; decide with that version, not {definition.Name} version {definition.Version}");
        }

        return new Run(definition, state, guards, input.At).Handle(input);
    }

    /// <summary>Folds an event into the state.</summary>
    /// <param name="state">The state.</param>
    /// <param name="e">The event.</param>
    /// <returns>The new state.</returns>
    public static InstanceState Apply(InstanceState state, WorkflowEvent e)
    {
        state = state with { EventCount = state.EventCount + 1 };
        return e switch
        {
            InstanceStarted s => state with { InstanceId = s.InstanceId, CaseKey = s.CaseKey, Definition = s.Definition, Version = s.Version, StartedAt = s.At, Status = InstanceStatus.Gathering, Facts = state.Facts.SetItems(s.Record) },
            TriggerIgnored => state with { Status = InstanceStatus.Ignored },
            LookupsRequested l => state with { PendingLookups = [.. l.Lookups], Status = InstanceStatus.Gathering },
            FactsGathered f => state with { Facts = state.Facts.SetItems(f.Facts), PendingLookups = state.PendingLookups.Remove(f.Source) },
            ReconciliationMismatched => state,
            Reconciled r => state with { Facts = state.Facts.SetItem($"reconciled.{r.Field}", r.Value), NextReconcile = state.NextReconcile + 1 },
            RuleDecided r => state with { Facts = state.Facts.SetItems(r.Set) },
            ConfidenceTiered c => c.Tier == ConfidenceTier.High
                ? state with { Score = c.Score, AutomaticByConfidence = true, Facts = state.Facts.SetItem("decision.suggestion", c.Suggestion) }
                : state with { Score = c.Score },
            ApprovalTiered => state,
            Approved a => state with { ApprovedBy = a.By, Approver = a.Approver ?? state.Approver, FastTrackTimer = null },
            FastTrackStarted f => state with { FastTrackTimer = f.TimerId, Status = InstanceStatus.FastTrack },
            HumanTaskOpened t => state with { Task = new OpenTask(t.TaskId, t.Template, t.Purpose, t.Suggestion, IdempotencyKey.For(state.InstanceId ?? "", $"sla:{t.TaskId}")), TasksOpened = state.TasksOpened + 1, Status = InstanceStatus.AwaitingHuman },
            HumanTaskClosed c => Closed(state, c),
            StepRequested s => state with { CurrentStep = s.Step, Verifying = s.Verifying, PendingKey = s.Key, Status = s.Verifying ? InstanceStatus.Verifying : InstanceStatus.Acting, Retries = s.Key.Contains('#', StringComparison.Ordinal) ? state.Retries + 1 : state.Retries },
            StepSucceeded s => state with { CurrentStep = -1, Verifying = false, PendingKey = null, NextStep = s.Step + 1, Status = InstanceStatus.Acting },
            VerificationMismatched => state,
            WaitStarted w => state with { WaitEventType = w.EventType, WaitCorrelation = w.Correlation, WaitTimer = w.TimerId, Status = InstanceStatus.Waiting },
            WaitEnded => state with { WaitEventType = null, WaitCorrelation = null, WaitTimer = null },
            SlaBreached b => b.Escalations.LastOrDefault(x => x.Kind == EscalationKind.RaisePriority) is { } p ? state with { Priority = p.Target } : state,
            InstanceParked p => state with { Status = InstanceStatus.Parked, ParkedBy = p.Cause },
            InstanceResumed => state with { ParkedBy = null, Status = state.PendingLookups.IsEmpty ? InstanceStatus.Acting : InstanceStatus.Gathering },
            FastTrackObjectionRaised => state with { FastTrackTimer = null },
            InstanceEnded x => state with { Status = x.Status, Task = null, FastTrackTimer = null, WaitTimer = null },
            _ => throw new ArgumentException($"the engine does not know the event {e.GetType().Name}", nameof(e)),
        };
    }

    /// <summary>Folds events into a state.</summary>
    /// <param name="state">The state.</param>
    /// <param name="events">The events.</param>
    /// <returns>The new state.</returns>
    public static InstanceState ApplyAll(InstanceState state, IEnumerable<WorkflowEvent> events)
        => events.Aggregate(state, Apply);

    private static InstanceState Closed(InstanceState state, HumanTaskClosed c)
    {
        var task = state.Task;
        state = state with { Task = null };
        if (task?.Purpose is TaskPurpose.Suggestion or TaskPurpose.Manual && c.Outcome != TaskOutcome.Reject && (c.Value ?? task.Suggestion) is { } chosen)
        {
            state = state with { Facts = state.Facts.SetItem("decision.suggestion", chosen) };
        }

        return state;
    }

    internal static string Format(object? value) => value switch
    {
        null => "null",
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Coerces an input value (a CLR number, text, bool, or a JSON element) to a declared type.</summary>
    internal static object? Coerce(object? value, ValueKind kind)
    {
        if (value is JsonElement json)
        {
            value = json.ValueKind switch
            {
                JsonValueKind.Number => json.GetDecimal(),
                JsonValueKind.String => json.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            };
        }

        return (kind, value) switch
        {
            (_, null) => null,
            (ValueKind.Number, decimal d) => d,
            (ValueKind.Number, int or long or double or float) => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            (ValueKind.Number, string s) when decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var p) => p,
            (ValueKind.Text, string s) => s,
            (ValueKind.Text, decimal or int or long) => Format(value),
            (ValueKind.Bool, bool b) => b,
            _ => null,
        };
    }

    /// <summary>One decision in progress: events are applied as they are emitted, so later steps read the new state.</summary>
    private sealed class Run(WorkflowDefinition def, InstanceState state, GuardRails guards, DateTimeOffset at)
    {
        private readonly ImmutableArray<WorkflowEvent>.Builder _events = ImmutableArray.CreateBuilder<WorkflowEvent>();
        private readonly ImmutableArray<WorkflowEffect>.Builder _effects = ImmutableArray.CreateBuilder<WorkflowEffect>();
        private InstanceState _state = state;

        private string Instance => _state.InstanceId ?? "";

        public Decision Handle(WorkflowInput input)
        {
            try
            {
                var rejection = input switch
                {
                    TriggerReceived t => OnTrigger(t),
                    ConnectorOutcome o => OnOutcome(o),
                    HumanTaskDecided h => OnHuman(h),
                    FastTrackObjected f => OnObjection(f),
                    TimerFired t => OnTimer(t),
                    CorrelatedEventReceived c => OnCorrelated(c),
                    OperatorCommanded o => OnOperator(o),
                    _ => $"the engine does not know the input {input.GetType().Name}",
                };
                if (rejection is not null)
                {
                    return Decision.Rejected(rejection);
                }
            }
            catch (ExpressionEvaluationException e)
            {
                Park(FailureClass.Data, ParkCause.DataFailure, null, e.Message, Evidence());
            }

            return new Decision(_events.ToImmutable(), _effects.ToImmutable(), null);
        }

        private void Emit(WorkflowEvent e)
        {
            _events.Add(e);
            _state = Apply(_state, e);
        }

        private void Do(WorkflowEffect e) => _effects.Add(e);

        private static Audit System(string what, string why, ImmutableSortedDictionary<string, string>? evidence = null)
            => new(Audit.System, what, why, evidence ?? ImmutableSortedDictionary<string, string>.Empty);

        private ImmutableSortedDictionary<string, string> Evidence(params CompiledExpression?[] expressions)
        {
            var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var e in expressions)
            {
                foreach (var v in e?.Variables ?? [])
                {
                    b[v] = Format(_state.Facts.GetValueOrDefault(v));
                }
            }

            return b.ToImmutable();
        }

        // ---- trigger and understand ----

        private string? OnTrigger(TriggerReceived t)
        {
            if (_state.Status != InstanceStatus.NotStarted)
            {
                return $"instance {Instance} has already started; a repeated trigger changes nothing";
            }

            var facts = ImmutableSortedDictionary.CreateBuilder<string, object?>(StringComparer.Ordinal);
            var problems = new List<string>();
            foreach (var (name, kind) in def.Trigger.Fields)
            {
                var value = Coerce(t.Record.GetValueOrDefault(name), kind);
                if (value is null)
                {
                    problems.Add($"{name} is {(t.Record.ContainsKey(name) ? "not a " + ExpressionCompiler.Name(kind) : "missing")}");
                }

                facts[$"record.{name}"] = value;
            }

            if (problems.Count > 0)
            {
                var why = $"the {def.Trigger.EventType} v{def.Trigger.EventVersion} record breaks its contract: {string.Join(", ", problems)}";
                Emit(new TriggerIgnored(at, System("record refused", why), Malformed: true));
                Do(new ParkInstance(FailureClass.Data, why + "; fix the producer and replay the record from the dead-letter queue", null));
                return null;
            }

            var record = facts.ToImmutable();
            var view = record.ToImmutableDictionary(StringComparer.Ordinal);
            var instance = Format(def.Trigger.InstanceKey.Evaluate(view));
            var caseKey = Format(def.Trigger.CaseKey.Evaluate(view));
            if (def.Trigger.StartWhen is { } start && !start.IsTrue(view))
            {
                var evidence = start.Variables.ToImmutableSortedDictionary(v => v, v => Format(view.GetValueOrDefault(v)), StringComparer.Ordinal);
                Emit(new TriggerIgnored(at, System("no instance started", $"start-when {start.Text} is false", evidence), Malformed: false));
                return null;
            }

            Emit(new InstanceStarted(at, System($"started {def.Name} v{def.Version} for case {caseKey}", $"a {def.Trigger.EventType} v{def.Trigger.EventVersion} record arrived on {def.Trigger.Topic}" + (def.Trigger.StartWhen is { } s ? $" and start-when {s.Text} holds" : "")), instance, caseKey, def.Name, def.Version, record));
            foreach (var sla in def.Sla)
            {
                Do(new ScheduleTimer(IdempotencyKey.For(Instance, $"sla:{sla.Id}"), at + sla.After));
            }

            Gather();
            return null;
        }

        private void Gather()
        {
            if (def.Lookups.IsEmpty)
            {
                ReconcileNext();
                return;
            }

            Emit(new LookupsRequested(at, System($"asked {string.Join(", ", def.Lookups.Select(l => $"{l.Connector}.{l.Operation}"))}", "the definition's understand stage gathers these facts before deciding"), [.. def.Lookups.Select(l => l.Id)]));
            foreach (var l in def.Lookups)
            {
                Do(new CallConnector(IdempotencyKey.For(Instance, l.Id), l.Connector, l.Operation, Inputs(l.Input)));
            }
        }

        private ImmutableSortedDictionary<string, object?> Inputs(ImmutableArray<Mapping> mappings)
        {
            var b = ImmutableSortedDictionary.CreateBuilder<string, object?>(StringComparer.Ordinal);
            foreach (var m in mappings)
            {
                b[m.Name] = m.Value.Evaluate(_state.Facts);
            }

            return b.ToImmutable();
        }

        private string? OnOutcome(ConnectorOutcome o)
        {
            if (o.Key != _state.PendingKey && !(_state.Status == InstanceStatus.Gathering && _state.PendingLookups.Any(l => LookupKey(l) == o.Key)))
            {
                return $"no call with key {o.Key} is awaited by instance {Instance}; a late or repeated outcome changes nothing";
            }

            if (!o.Succeeded)
            {
                var lane = o.Failure ?? FailureClass.Data;
                Park(lane, ParkCause.DataFailure, null, $"the call {o.Key} failed ({lane}): {o.Error ?? "no message"}; fix the data, then resume to retry", ImmutableSortedDictionary<string, string>.Empty);
                return null;
            }

            if (_state.Status == InstanceStatus.Gathering)
            {
                var lookup = def.Lookups.First(l => LookupKey(l.Id) == o.Key);
                var facts = Read(o.Output, lookup.Fields, lookup.Id, out var missing);
                if (missing.Count > 0)
                {
                    Park(FailureClass.Data, ParkCause.DataFailure, null, $"{lookup.Connector}.{lookup.Operation} answered without {string.Join(", ", missing)}; fix the source record, then resume", ImmutableSortedDictionary<string, string>.Empty);
                    return null;
                }

                Emit(new FactsGathered(at, System($"read {string.Join(", ", facts.Keys)}", $"look-up {lookup.Id} ({lookup.Connector}.{lookup.Operation}) answered", facts.ToImmutableSortedDictionary(f => f.Key, f => Format(f.Value), StringComparer.Ordinal)), lookup.Id, facts));
                if (_state.PendingLookups.IsEmpty)
                {
                    ReconcileNext();
                }

                return null;
            }

            var step = def.Act[_state.CurrentStep];
            if (_state.Verifying)
            {
                var readback = Read(o.Output, step.Verify!.Fields, "readback", out var missing);
                Emit(new FactsGathered(at, System($"read back {string.Join(", ", readback.Keys)}", $"verification of step {step.Id}", readback.ToImmutableSortedDictionary(f => f.Key, f => Format(f.Value), StringComparer.Ordinal)), "readback", readback));
                if (missing.Count > 0 || !step.Verify.Expect.IsTrue(_state.Facts))
                {
                    var evidence = Evidence(step.Verify.Expect);
                    Emit(new VerificationMismatched(at, System($"step {step.Id} did not take effect as expected", $"expect {step.Verify.Expect.Text} is false" + (missing.Count > 0 ? $" ({string.Join(", ", missing)} missing)" : ""), evidence), _state.CurrentStep));
                    Park(FailureClass.Data, ParkCause.VerificationMismatch, null, $"step {step.Id}: the read-back does not match ({step.Verify.Expect.Text}); check the target system, then resume to accept or cancel", evidence);
                    return null;
                }

                Emit(new StepSucceeded(at, System($"step {step.Id} took effect and was verified", $"expect {step.Verify.Expect.Text} holds", Evidence(step.Verify.Expect)), _state.CurrentStep, Verified: true));
                ActFrom(_state.NextStep);
                return null;
            }

            if (step.Verify is { } verify)
            {
                var key = IdempotencyKey.For(Instance, $"{step.Id}.verify");
                Emit(new StepRequested(at, System($"reading back {step.Id} with {verify.Connector}.{verify.Operation}", "every action is verified when its definition says how"), _state.CurrentStep, key, Verifying: true));
                Do(new CallConnector(key, verify.Connector, verify.Operation, Inputs(verify.Input)));
                return null;
            }

            Emit(new StepSucceeded(at, System($"step {step.Id} took effect", $"{step.Connector}.{step.Operation} succeeded"), _state.CurrentStep, Verified: false));
            ActFrom(_state.NextStep);
            return null;
        }

        private string LookupKey(string id) => IdempotencyKey.For(Instance, id);

        private static ImmutableSortedDictionary<string, object?> Read(ImmutableSortedDictionary<string, object?> output, ImmutableSortedDictionary<string, ValueKind> fields, string prefix, out List<string> missing)
        {
            var b = ImmutableSortedDictionary.CreateBuilder<string, object?>(StringComparer.Ordinal);
            missing = [];
            foreach (var (name, kind) in fields)
            {
                var value = Coerce(output.GetValueOrDefault(name), kind);
                if (value is null)
                {
                    missing.Add(name);
                    continue;
                }

                b[$"{prefix}.{name}"] = value;
            }

            return b.ToImmutable();
        }

        private void ReconcileNext()
        {
            while (_state.NextReconcile < def.Reconciles.Length)
            {
                var r = def.Reconciles[_state.NextReconcile];
                var a = r.Sources[0].Value.Evaluate(_state.Facts);
                var b = r.Sources[1].Value.Evaluate(_state.Facts);
                var evidence = Evidence(r.Sources[0].Value, r.Sources[1].Value);
                if (Equals(a, b))
                {
                    Emit(new Reconciled(at, System($"reconciled.{r.Id} = {Format(a)}", $"{r.Sources[0].Name} and {r.Sources[1].Name} agree", evidence), r.Id, a));
                    continue;
                }

                var values = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>(r.Sources[0].Name, Format(a)), new(r.Sources[1].Name, Format(b))]);
                Emit(new ReconciliationMismatched(at, System($"{r.Id} differs: {r.Sources[0].Name} says {Format(a)}, {r.Sources[1].Name} says {Format(b)}", "two sources of one field disagree; a human decides which is right", evidence), r.Id, values));
                OpenTask(r.Task, TaskPurpose.Reconcile, $"{r.Id}: {r.Sources[0].Name}={Format(a)} vs {r.Sources[1].Name}={Format(b)}; approve keeps {r.Sources[0].Name}'s value, override sets another", Format(a), "reconciliation mismatch");
                return;
            }

            Rules();
        }

        // ---- decide ----

        private void Rules()
        {
            var tried = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var rule in def.Decide.Rules)
            {
                var matched = rule.When.IsTrue(_state.Facts);
                foreach (var (k, v) in Evidence(rule.When))
                {
                    tried[k] = v;
                }

                tried[$"rule.{rule.Id}"] = matched ? "matched" : "false";
                if (matched)
                {
                    Decided(rule.Outcome, rule.Id, $"rule {rule.Id}: {rule.When.Text}", tried.ToImmutable());
                    return;
                }
            }

            Decided(def.Decide.Default, null, def.Decide.Rules.IsEmpty ? "the default (no rules)" : $"the default: none of {string.Join(", ", def.Decide.Rules.Select(r => r.Id))} matched", tried.ToImmutable());
        }

        private void Decided(RuleOutcome outcome, string? ruleId, string why, ImmutableSortedDictionary<string, string> evidence)
        {
            var set = ImmutableSortedDictionary.CreateBuilder<string, object?>(StringComparer.Ordinal);
            foreach (var m in outcome.Set)
            {
                set[$"decision.{m.Name}"] = m.Value.Evaluate(_state.Facts);
            }

            var verb = outcome.Kind switch { OutcomeKind.Proceed => "proceed", OutcomeKind.Reject => "reject", _ => "review" };
            Emit(new RuleDecided(at, System($"decided to {verb}" + (set.Count > 0 ? $", setting {string.Join(", ", set.Select(s => $"{s.Key}={Format(s.Value)}"))}" : ""), why, evidence), ruleId, outcome.Kind, set.ToImmutable()));
            switch (outcome.Kind)
            {
                case OutcomeKind.Reject:
                    End(InstanceStatus.Rejected, $"rejected by {why}");
                    break;
                case OutcomeKind.Review:
                    OpenTask(outcome.Task!, TaskPurpose.Approval, $"review: {why}", null, why);
                    break;
                default:
                    Confidence();
                    break;
            }
        }

        private void Confidence()
        {
            if (def.Decide.Confidence is not { } c)
            {
                Approval();
                return;
            }

            var score = c.Score.Number(_state.Facts);
            var suggestion = Format(c.Suggestion.Evaluate(_state.Facts));
            var tier = score >= c.High ? ConfidenceTier.High : score >= c.Medium ? ConfidenceTier.Medium : ConfidenceTier.Low;
            var evidence = Evidence(c.Score, c.Suggestion)
                .SetItem("confidence.high", Format(c.High)).SetItem("confidence.medium", Format(c.Medium)).SetItem("guard.MinAutoConfidence", Format(guards.MinAutoConfidence));
            var comparison = tier switch
            {
                ConfidenceTier.High => $"score {Format(score)} is at or above high {Format(c.High)}",
                ConfidenceTier.Medium => $"score {Format(score)} is below high {Format(c.High)} and at or above medium {Format(c.Medium)}",
                _ => $"score {Format(score)} is below medium {Format(c.Medium)}",
            };
            Emit(new ConfidenceTiered(at, System($"confidence tier {tier} for suggestion {suggestion}", comparison, evidence), score, tier, suggestion));
            switch (tier)
            {
                case ConfidenceTier.High:
                    Approval();
                    break;
                case ConfidenceTier.Medium:
                    OpenTask(c.SuggestTask, TaskPurpose.Suggestion, $"confirm the suggestion {suggestion} (score {Format(score)})", suggestion, comparison);
                    break;
                default:
                    OpenTask(c.ManualTask, TaskPurpose.Manual, $"decide by hand (the classifier's score {Format(score)} is too low to suggest)", null, comparison);
                    break;
            }
        }

        private void Approval()
        {
            if (def.Decide.Approval is not { } a || _state.ApprovedBy == ApprovalBy.Human)
            {
                ActFrom(0);
                return;
            }

            var amount = a.Amount.Number(_state.Facts);
            var tier = amount <= a.InstantUpTo ? ApprovalTier.Instant : amount <= a.FastTrackUpTo ? ApprovalTier.FastTrack : ApprovalTier.FullReview;
            var evidence = Evidence(a.Amount).SetItem("approval.instant.up-to", Format(a.InstantUpTo)).SetItem("approval.fast-track.up-to", Format(a.FastTrackUpTo));
            var why = tier switch
            {
                ApprovalTier.Instant => $"amount {Format(amount)} is at most the instant limit {Format(a.InstantUpTo)}",
                ApprovalTier.FastTrack => $"amount {Format(amount)} is above the instant limit {Format(a.InstantUpTo)} and at most the fast-track limit {Format(a.FastTrackUpTo)}",
                _ => $"amount {Format(amount)} is above the fast-track limit {Format(a.FastTrackUpTo)}",
            };
            Emit(new ApprovalTiered(at, System($"approval tier {tier}", why, evidence), amount, tier));
            switch (tier)
            {
                case ApprovalTier.Instant:
                    Emit(new Approved(at, System("approved by rule", why, evidence), ApprovalBy.Instant, null));
                    ActFrom(0);
                    break;
                case ApprovalTier.FastTrack:
                    var timer = IdempotencyKey.For(Instance, "fast-track");
                    Emit(new FastTrackStarted(at, System($"{a.FastTrackNotify} notified; approved at {Format(at + a.FastTrackWindow)} unless someone objects", why, evidence), timer, at + a.FastTrackWindow));
                    Do(new Notify(a.FastTrackNotify, $"{def.Name} {Instance}: amount {Format(amount)} will be approved at {Format(at + a.FastTrackWindow)} unless you object"));
                    Do(new ScheduleTimer(timer, at + a.FastTrackWindow));
                    break;
                default:
                    OpenTask(a.ReviewTask, TaskPurpose.Approval, $"approve amount {Format(amount)}", null, why);
                    break;
            }
        }

        private void OpenTask(string templateId, TaskPurpose purpose, string subject, string? suggestion, string why)
        {
            var t = def.Tasks[templateId];
            var taskId = IdempotencyKey.For(Instance, $"{templateId}#{_state.TasksOpened + 1}");
            var shown = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var v in t.Show)
            {
                shown[v] = Format(_state.Facts.GetValueOrDefault(v));
            }

            Emit(new HumanTaskOpened(at, System($"task {taskId} opened in {t.Queue}" + (t.Assignee is { } who ? $" for {who}" : ""), why, shown.ToImmutable()), taskId, templateId, purpose, subject, suggestion));
            Do(new OpenHumanTask(taskId, t.Queue, t.Assignee, at + t.Sla, shown.ToImmutable(), t.Outcomes, t.RationaleRequired, subject));
            Do(new ScheduleTimer(_state.Task!.SlaTimer, at + t.Sla));
        }

        private string? OnHuman(HumanTaskDecided h)
        {
            if (_state.Task is not { } task || task.TaskId != h.TaskId)
            {
                return $"task {h.TaskId} is not open on instance {Instance}";
            }

            var template = def.Tasks[task.Template];
            if (!template.Outcomes.Contains(h.Outcome))
            {
                return $"task {h.TaskId} allows {string.Join(", ", template.Outcomes.Select(TaskOutcomeNames.Name))}, not {TaskOutcomeNames.Name(h.Outcome)}";
            }

            if (template.RationaleRequired && string.IsNullOrWhiteSpace(h.Rationale))
            {
                return $"task {h.TaskId} needs a rationale; say why you decided {TaskOutcomeNames.Name(h.Outcome)}";
            }

            if (string.IsNullOrWhiteSpace(h.Actor))
            {
                return $"task {h.TaskId}: who decided is required";
            }

            if (h.Outcome == TaskOutcome.Override && string.IsNullOrWhiteSpace(h.Value))
            {
                return $"task {h.TaskId}: an override needs the value chosen instead";
            }

            var evidence = ImmutableSortedDictionary<string, string>.Empty.Add("task.subject", task.Suggestion ?? "");
            Emit(new HumanTaskClosed(h.At, new Audit(h.Actor, $"{TaskOutcomeNames.Name(h.Outcome)} on {h.TaskId}" + (h.Value is { } v ? $" with {v}" : ""), h.Rationale, evidence), h.TaskId, h.Outcome, h.Value));
            Do(new CloseHumanTask(h.TaskId, TaskOutcomeNames.Name(h.Outcome)));
            Do(new CancelTimer(task.SlaTimer));
            if (h.Outcome == TaskOutcome.Reject)
            {
                End(task.Purpose == TaskPurpose.Timeout ? InstanceStatus.Failed : InstanceStatus.Rejected, $"{h.Actor} rejected: {h.Rationale}");
                return null;
            }

            switch (task.Purpose)
            {
                case TaskPurpose.Reconcile:
                    var r = def.Reconciles[_state.NextReconcile];
                    var value = h.Outcome == TaskOutcome.Override ? Coerce(h.Value, r.Kind) : r.Sources[0].Value.Evaluate(_state.Facts);
                    if (value is null)
                    {
                        return $"task {h.TaskId}: {h.Value} is not a {ExpressionCompiler.Name(r.Kind)}";
                    }

                    Emit(new Reconciled(h.At, new Audit(h.Actor, $"reconciled.{r.Id} = {Format(value)}", h.Rationale, evidence), r.Id, value));
                    ReconcileNext();
                    break;
                case TaskPurpose.Timeout:
                    End(InstanceStatus.Completed, $"{h.Actor} closed the timed-out wait: {h.Rationale}");
                    break;
                case TaskPurpose.Suggestion or TaskPurpose.Manual:
                    Emit(new Approved(h.At, new Audit(h.Actor, $"decided {Format(_state.Facts.GetValueOrDefault("decision.suggestion"))}", h.Rationale, evidence), ApprovalBy.Human, h.Actor));
                    Approval();
                    break;
                default:
                    Emit(new Approved(h.At, new Audit(h.Actor, "approved the action", h.Rationale, evidence), ApprovalBy.Human, h.Actor));
                    ActFrom(_state.NextStep);
                    break;
            }

            return null;
        }

        private string? OnObjection(FastTrackObjected f)
        {
            if (_state.FastTrackTimer is not { } timer)
            {
                return $"instance {Instance} has no fast-track window open";
            }

            if (string.IsNullOrWhiteSpace(f.Actor) || string.IsNullOrWhiteSpace(f.Rationale))
            {
                return "an objection needs who objects and why";
            }

            var a = def.Decide.Approval!;
            Emit(new FastTrackObjectionRaised(f.At, new Audit(f.Actor, "objected to the fast-track approval", f.Rationale, ImmutableSortedDictionary<string, string>.Empty)));
            Do(new CancelTimer(timer));
            OpenTask(a.ReviewTask, TaskPurpose.Approval, $"{f.Actor} objected to the fast-track: {f.Rationale}", null, $"{f.Actor} objected inside the fast-track window: {f.Rationale}");
            return null;
        }

        private string? OnTimer(TimerFired t)
        {
            if (_state.IsEnded)
            {
                return $"instance {Instance} has ended; timer {t.TimerId} changes nothing";
            }

            if (t.TimerId == _state.FastTrackTimer)
            {
                var a = def.Decide.Approval!;
                Emit(new Approved(t.At, System("approved by fast-track", $"the {Format(a.FastTrackWindow)} window closed without objection"), ApprovalBy.FastTrack, null));
                ActFrom(0);
                return null;
            }

            if (t.TimerId == _state.WaitTimer)
            {
                var w = def.Wait!;
                Emit(new WaitEnded(t.At, System($"no {w.EventType} within {Format(w.Timeout)}", $"wait {w.Id} timed out"), TimedOut: true));
                switch (w.OnTimeout)
                {
                    case TimeoutAction.Complete:
                        End(InstanceStatus.Completed, $"wait {w.Id} timed out; the definition completes then");
                        break;
                    case TimeoutAction.Fail:
                        End(InstanceStatus.Failed, $"wait {w.Id} timed out; the definition fails then");
                        break;
                    default:
                        OpenTask(w.Task!, TaskPurpose.Timeout, $"no {w.EventType} for {_state.WaitCorrelation} within {Format(w.Timeout)}", null, $"wait {w.Id} timed out");
                        break;
                }

                return null;
            }

            if (_state.Task is { } task && t.TimerId == task.SlaTimer)
            {
                var template = def.Tasks[task.Template];
                var target = template.Assignee ?? template.Queue;
                Emit(new SlaBreached(t.At, System($"task {task.TaskId} is past its SLA of {Format(template.Sla)}", "human task SLA"), $"task:{task.TaskId}", [new Escalation(EscalationKind.Notify, target)]));
                Do(new Notify(target, $"task {task.TaskId} in {template.Queue} is past its SLA"));
                return null;
            }

            var sla = def.Sla.FirstOrDefault(s => IdempotencyKey.For(Instance, $"sla:{s.Id}") == t.TimerId);
            if (sla is null)
            {
                return $"timer {t.TimerId} is not one instance {Instance} scheduled or it is no longer current";
            }

            Emit(new SlaBreached(t.At, System($"SLA {sla.Id} breached: {string.Join(", ", sla.Escalate.Select(e => $"{e.Kind} {e.Target}"))}", $"the instance is still {_state.Status} {Format(sla.After)} after it started"), sla.Id, sla.Escalate));
            foreach (var e in sla.Escalate)
            {
                Do(e.Kind switch
                {
                    EscalationKind.Notify => new Notify(e.Target, $"{def.Name} {Instance} breached SLA {sla.Id}"),
                    EscalationKind.Reassign => new ReassignTask(_state.Task?.TaskId, e.Target),
                    _ => new RaisePriority(e.Target),
                });
            }

            return null;
        }

        private string? OnCorrelated(CorrelatedEventReceived c)
        {
            if (_state.Status != InstanceStatus.Waiting || c.EventType != _state.WaitEventType || c.Correlation != _state.WaitCorrelation)
            {
                return $"instance {Instance} is not waiting for {c.EventType} {c.Correlation}";
            }

            Emit(new WaitEnded(c.At, System($"{c.EventType} {c.Correlation} arrived", $"wait {def.Wait!.Id} satisfied"), TimedOut: false));
            Do(new CancelTimer(def.Wait is not null ? IdempotencyKey.For(Instance, $"wait:{def.Wait.Id}") : ""));
            End(InstanceStatus.Completed, $"{c.EventType} arrived");
            return null;
        }

        private string? OnOperator(OperatorCommanded o)
        {
            if (string.IsNullOrWhiteSpace(o.Operator) || string.IsNullOrWhiteSpace(o.Reason))
            {
                return "an operator command needs the operator's name and a reason";
            }

            if (o.Command == OperatorCommand.Cancel)
            {
                if (_state.IsEnded)
                {
                    return $"instance {Instance} has already ended";
                }

                End(InstanceStatus.Cancelled, $"cancelled by {o.Operator}: {o.Reason}", o.Operator);
                return null;
            }

            if (_state.Status != InstanceStatus.Parked || _state.ParkedBy is not { } cause)
            {
                return $"instance {Instance} is not parked";
            }

            Emit(new InstanceResumed(o.At, new Audit(o.Operator, $"resumed after {cause}", o.Reason, ImmutableSortedDictionary<string, string>.Empty), cause));
            switch (cause)
            {
                case ParkCause.Guard:
                    Emit(new Approved(o.At, new Audit(o.Operator, "approved what the guard held", o.Reason, ImmutableSortedDictionary<string, string>.Empty), ApprovalBy.Human, o.Operator));
                    ActFrom(_state.NextStep);
                    break;
                case ParkCause.VerificationMismatch:
                    Emit(new StepSucceeded(o.At, new Audit(o.Operator, $"accepted step {def.Act[_state.CurrentStep].Id} as it is", o.Reason, ImmutableSortedDictionary<string, string>.Empty), _state.CurrentStep, Verified: false));
                    ActFrom(_state.NextStep);
                    break;
                default:
                    Retry();
                    break;
            }

            return null;
        }

        private void Retry()
        {
            var n = _state.Retries + 1;
            if (!_state.PendingLookups.IsEmpty)
            {
                foreach (var id in _state.PendingLookups)
                {
                    var l = def.Lookups.First(x => x.Id == id);
                    Do(new CallConnector(LookupKey(id), l.Connector, l.Operation, Inputs(l.Input)));
                }

                return;
            }

            if (_state.CurrentStep >= 0)
            {
                var step = def.Act[_state.CurrentStep];
                var key = IdempotencyKey.For(Instance, $"{step.Id}{(_state.Verifying ? ".verify" : "")}#{n}");
                Emit(new StepRequested(at, System($"retrying {step.Id}", "an operator resumed the instance after a data failure"), _state.CurrentStep, key, _state.Verifying));
                Do(_state.Verifying
                    ? new CallConnector(key, step.Verify!.Connector, step.Verify.Operation, Inputs(step.Verify.Input))
                    : new CallConnector(key, step.Connector, step.Operation, Inputs(step.Input)));
                return;
            }

            Rules();
        }

        // ---- act ----

        private void ActFrom(int index)
        {
            if (index >= def.Act.Length)
            {
                AfterActs();
                return;
            }

            var step = def.Act[index];
            if (Guarded(step, index))
            {
                return;
            }

            var key = IdempotencyKey.For(Instance, step.Id);
            var input = Inputs(step.Input);
            Emit(new StepRequested(at, System($"{step.Connector}.{step.Operation} ({EffectName(step.Effect.Kind)})", Because(), input.ToImmutableSortedDictionary(i => i.Key, i => Format(i.Value), StringComparer.Ordinal)), index, key, Verifying: false));
            Do(new CallConnector(key, step.Connector, step.Operation, input));
        }

        private string Because() => _state.ApprovedBy switch
        {
            ApprovalBy.Human => $"approved by {_state.Approver}",
            ApprovalBy.FastTrack => "approved by fast-track",
            ApprovalBy.Instant => "approved by the instant tier",
            _ => _state.AutomaticByConfidence ? $"confidence {Format(_state.Score)} is in the high tier" : "the rules decided to proceed",
        };

        private static string EffectName(EffectKind kind) => kind switch
        {
            EffectKind.Financial => "financial",
            EffectKind.Message => "customer message",
            _ => "record update",
        };

        /// <summary>The run-time guard rails: true when the step must not run now (the instance is parked or a task opened).</summary>
        private bool Guarded(ActStep step, int index)
        {
            var human = _state.ApprovedBy == ApprovalBy.Human;
            if (!human && _state.AutomaticByConfidence && _state.Score < guards.MinAutoConfidence)
            {
                Park(FailureClass.Data, ParkCause.Guard, GuardRails.Confidence, $"step {step.Id} would act automatically at confidence {Format(_state.Score)}, below the guard {GuardRails.Confidence} ({Format(guards.MinAutoConfidence)}); a human must approve", Evidence().SetItem("confidence.score", Format(_state.Score)).SetItem("guard.MinAutoConfidence", Format(guards.MinAutoConfidence)));
                return true;
            }

            switch (step.Effect.Kind)
            {
                case EffectKind.Financial:
                    var amount = step.Effect.Amount!.Number(_state.Facts);
                    if (!human && amount > guards.FinancialApprovalAbove)
                    {
                        Park(FailureClass.Data, ParkCause.Guard, GuardRails.Financial, $"step {step.Id} would move {Format(amount)}, above the guard {GuardRails.Financial} ({Format(guards.FinancialApprovalAbove)}), without a human approval; an operator must approve", Evidence(step.Effect.Amount).SetItem("guard.FinancialApprovalAbove", Format(guards.FinancialApprovalAbove)));
                        return true;
                    }

                    break;
                case EffectKind.Message:
                    var risk = step.Effect.Risk!.Number(_state.Facts);
                    if (!human && risk > guards.MessageApprovalAboveRisk)
                    {
                        var evidence = Evidence(step.Effect.Risk).SetItem("guard.MessageApprovalAboveRisk", Format(guards.MessageApprovalAboveRisk));
                        var why = $"step {step.Id}'s message risk {Format(risk)} is above the guard {GuardRails.Message} ({Format(guards.MessageApprovalAboveRisk)})";
                        if (step.Effect.ApprovalTask is { } task)
                        {
                            OpenTask(task, TaskPurpose.Approval, $"approve the message of step {step.Id} (risk {Format(risk)})", null, why);
                        }
                        else
                        {
                            Park(FailureClass.Data, ParkCause.Guard, GuardRails.Message, why + " and there is no approval path; an operator must approve", evidence);
                        }

                        return true;
                    }

                    break;
                default:
                    break;
            }

            return false;
        }

        private void AfterActs()
        {
            if (def.Wait is { } w)
            {
                var correlation = Format(w.Correlate.Evaluate(_state.Facts));
                var timer = IdempotencyKey.For(Instance, $"wait:{w.Id}");
                Emit(new WaitStarted(at, System($"waiting for {w.EventType} {correlation} until {Format(at + w.Timeout)}", $"wait {w.Id}", Evidence(w.Correlate)), w.EventType, correlation, timer, at + w.Timeout));
                Do(new ScheduleTimer(timer, at + w.Timeout));
                return;
            }

            End(InstanceStatus.Completed, def.Act.IsEmpty ? "nothing to act on" : "every step took effect");
        }

        private void Park(FailureClass lane, ParkCause cause, string? guard, string why, ImmutableSortedDictionary<string, string> evidence)
        {
            Emit(new InstanceParked(at, System(guard is null ? $"parked in the {lane} lane" : $"parked by the guard {guard}", why, evidence), lane, guard, cause));
            Do(new ParkInstance(lane, why, guard));
        }

        private void End(InstanceStatus status, string why, string who = Audit.System)
        {
            var task = _state.Task;
            var fastTrack = _state.FastTrackTimer;
            Emit(new InstanceEnded(at, new Audit(who, $"instance {status}", why, ImmutableSortedDictionary<string, string>.Empty), status));
            if (task is not null)
            {
                Do(new CloseHumanTask(task.TaskId, status.ToString()));
                Do(new CancelTimer(task.SlaTimer));
            }

            if (fastTrack is not null)
            {
                Do(new CancelTimer(fastTrack));
            }

            foreach (var sla in def.Sla)
            {
                Do(new CancelTimer(IdempotencyKey.For(Instance, $"sla:{sla.Id}")));
            }

            Do(status switch
            {
                InstanceStatus.Failed => new FailInstance(why),
                _ => new CompleteInstance($"{status}: {why}"),
            });
        }
    }

    private static string Format(TimeSpan span) => span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays)
        ? $"{span.TotalDays}d"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours}h" : $"{span.TotalMinutes}m";

    private static string Format(DateTimeOffset at) => at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string Format(decimal? d) => d is { } v ? v.ToString(CultureInfo.InvariantCulture) : "none";
}
