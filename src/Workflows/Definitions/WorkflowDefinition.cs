using System.Collections.Immutable;
using Coordinator.Workflows.Expressions;

namespace Coordinator.Workflows.Definitions;

/// <summary>
/// One workflow, loaded and validated from its YAML file: trigger → understand → decide → act →
/// verify, with waits, SLA timers and human tasks. Immutable; stored by name and version.
/// </summary>
/// <param name="Name">The workflow's name, e.g. <c>refund-approval</c>.</param>
/// <param name="Version">Its version; an instance pins the version it started with.</param>
/// <param name="Metadata">Owner, purpose, silent-failure impact and runbook.</param>
/// <param name="Trigger">What starts an instance.</param>
/// <param name="Lookups">Connector look-ups gathered into the instance's context, in order.</param>
/// <param name="Reconciles">Fields read from two sources that must agree.</param>
/// <param name="Decide">Rules, confidence tiers and approval tiers.</param>
/// <param name="Act">The actions, in order.</param>
/// <param name="Wait">A correlated event awaited after the actions, if any.</param>
/// <param name="Sla">SLA timers running from the instance's start.</param>
/// <param name="Tasks">Human task templates by id.</param>
/// <param name="Source">The file it was loaded from.</param>
public sealed record WorkflowDefinition(
    string Name,
    int Version,
    WorkflowMetadata Metadata,
    TriggerDefinition Trigger,
    ImmutableArray<LookupDefinition> Lookups,
    ImmutableArray<ReconcileDefinition> Reconciles,
    DecideDefinition Decide,
    ImmutableArray<ActStep> Act,
    WaitDefinition? Wait,
    ImmutableArray<SlaTimer> Sla,
    ImmutableSortedDictionary<string, HumanTaskTemplate> Tasks,
    string Source);

/// <summary>Who owns a workflow and what to do when it breaks.</summary>
/// <param name="Owner">The owning team or person.</param>
/// <param name="Purpose">What it is for.</param>
/// <param name="IfItFailsSilently">What happens in the business if it stops without anyone noticing.</param>
/// <param name="Runbook">Where the runbook is.</param>
public sealed record WorkflowMetadata(string Owner, string Purpose, string IfItFailsSilently, string Runbook);

/// <summary>What starts an instance.</summary>
/// <param name="Topic">The Kafka topic.</param>
/// <param name="EventType">The event type on that topic.</param>
/// <param name="EventVersion">The event type's schema version.</param>
/// <param name="Fields">The record's fields the workflow reads (variables <c>record.*</c>).</param>
/// <param name="CaseKey">The customer case the instance belongs to.</param>
/// <param name="InstanceKey">The instance's id within the workflow.</param>
/// <param name="StartWhen">A condition on the record; when false the record starts nothing.</param>
public sealed record TriggerDefinition(
    string Topic,
    string EventType,
    int EventVersion,
    ImmutableSortedDictionary<string, ValueKind> Fields,
    CompiledExpression CaseKey,
    CompiledExpression InstanceKey,
    CompiledExpression? StartWhen);

/// <summary>A value computed from the context and passed to a connector.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="Value">Its expression.</param>
public sealed record Mapping(string Name, CompiledExpression Value);

/// <summary>A connector look-up whose declared output fields become variables <c>{id}.{field}</c>.</summary>
/// <param name="Id">The look-up's id.</param>
/// <param name="Connector">The connector.</param>
/// <param name="Operation">The connector's operation.</param>
/// <param name="Input">The operation's inputs.</param>
/// <param name="Fields">The output fields read, with their types.</param>
public sealed record LookupDefinition(string Id, string Connector, string Operation, ImmutableArray<Mapping> Input, ImmutableSortedDictionary<string, ValueKind> Fields);

/// <summary>One field read from two sources; a mismatch opens a human review with both values.</summary>
/// <param name="Id">The field's id; the agreed value is <c>reconciled.{id}</c>.</param>
/// <param name="Sources">The sources, each named and read by an expression.</param>
/// <param name="Task">The human task opened on a mismatch.</param>
/// <param name="Kind">The field's type.</param>
public sealed record ReconcileDefinition(string Id, ImmutableArray<ReconcileSource> Sources, string Task, ValueKind Kind);

/// <summary>One source of a reconciled field.</summary>
/// <param name="Name">Where the value comes from, e.g. <c>crm</c>.</param>
/// <param name="Value">How it is read.</param>
public sealed record ReconcileSource(string Name, CompiledExpression Value);

/// <summary>How an instance decides: ordered rules (first match wins), then confidence and approval tiers.</summary>
/// <param name="Rules">The rules, in order.</param>
/// <param name="Default">What happens when no rule matches.</param>
/// <param name="Confidence">Classifier confidence tiers, if any.</param>
/// <param name="Approval">Approval tiers from an amount, if any.</param>
public sealed record DecideDefinition(ImmutableArray<Rule> Rules, RuleOutcome Default, ConfidenceTiers? Confidence, ApprovalTiers? Approval);

/// <summary>A rule.</summary>
/// <param name="Id">Its id, recorded in the audit.</param>
/// <param name="When">Its condition.</param>
/// <param name="Outcome">What it decides.</param>
public sealed record Rule(string Id, CompiledExpression When, RuleOutcome Outcome);

/// <summary>What a rule decides.</summary>
/// <param name="Kind">Proceed, reject or review.</param>
/// <param name="Set">Values it sets (variables <c>decision.*</c>).</param>
/// <param name="Task">The review task when <see cref="Kind"/> is review.</param>
public sealed record RuleOutcome(OutcomeKind Kind, ImmutableArray<Mapping> Set, string? Task);

/// <summary>What a rule decides.</summary>
public enum OutcomeKind
{
    /// <summary>Go on to the confidence and approval tiers, then act.</summary>
    Proceed,

    /// <summary>Complete without acting.</summary>
    Reject,

    /// <summary>Open a human review; act only if it is approved.</summary>
    Review,
}

/// <summary>
/// Classifier confidence tiers: at or above <see cref="High"/> act automatically; at or above
/// <see cref="Medium"/> suggest to a human (suggestion and score attached); below, the manual queue.
/// </summary>
/// <param name="Score">The classifier's score, 0 to 1.</param>
/// <param name="Suggestion">The classifier's suggestion; the chosen value is <c>decision.suggestion</c>.</param>
/// <param name="High">The automatic threshold.</param>
/// <param name="Medium">The suggestion threshold.</param>
/// <param name="SuggestTask">The task a medium-confidence suggestion opens.</param>
/// <param name="ManualTask">The task a low-confidence case opens.</param>
public sealed record ConfidenceTiers(CompiledExpression Score, CompiledExpression Suggestion, decimal High, decimal Medium, string SuggestTask, string ManualTask);

/// <summary>
/// Approval tiers from an amount: up to <see cref="InstantUpTo"/> approved by rule; up to
/// <see cref="FastTrackUpTo"/> a role is notified and it is approved after
/// <see cref="FastTrackWindow"/> without objection; above, a full review. Bounds are inclusive.
/// </summary>
/// <param name="Amount">The amount.</param>
/// <param name="InstantUpTo">The highest amount approved instantly.</param>
/// <param name="FastTrackUpTo">The highest amount fast-tracked.</param>
/// <param name="FastTrackNotify">The role notified of a fast-track approval.</param>
/// <param name="FastTrackWindow">How long an objection may come.</param>
/// <param name="ReviewTask">The full review's task.</param>
public sealed record ApprovalTiers(CompiledExpression Amount, decimal InstantUpTo, decimal FastTrackUpTo, string FastTrackNotify, TimeSpan FastTrackWindow, string ReviewTask);

/// <summary>An action through a connector.</summary>
/// <param name="Id">The step's id: part of its idempotency key.</param>
/// <param name="Connector">The connector.</param>
/// <param name="Operation">The operation.</param>
/// <param name="Input">Its inputs.</param>
/// <param name="Effect">What kind of effect it has.</param>
/// <param name="Verify">How it is read back, if it is.</param>
public sealed record ActStep(string Id, string Connector, string Operation, ImmutableArray<Mapping> Input, EffectDeclaration Effect, VerifyDefinition? Verify);

/// <summary>The kind of effect an action has.</summary>
public enum EffectKind
{
    /// <summary>Moves money; carries an amount.</summary>
    Financial,

    /// <summary>A customer-facing message; carries a risk, 0 to 1.</summary>
    Message,

    /// <summary>Updates a record.</summary>
    RecordUpdate,
}

/// <summary>The effect an action declares.</summary>
/// <param name="Kind">Its kind.</param>
/// <param name="Amount">A financial action's amount.</param>
/// <param name="Risk">A message's risk.</param>
/// <param name="ApprovalTask">The task that approves a message whose risk needs approval.</param>
public sealed record EffectDeclaration(EffectKind Kind, CompiledExpression? Amount, CompiledExpression? Risk, string? ApprovalTask);

/// <summary>Reads an action's effect back and compares it; a mismatch takes the data lane.</summary>
/// <param name="Connector">The connector.</param>
/// <param name="Operation">The read operation.</param>
/// <param name="Input">Its inputs.</param>
/// <param name="Fields">The fields read back (variables <c>readback.*</c>).</param>
/// <param name="Expect">The condition that must hold.</param>
public sealed record VerifyDefinition(string Connector, string Operation, ImmutableArray<Mapping> Input, ImmutableSortedDictionary<string, ValueKind> Fields, CompiledExpression Expect);

/// <summary>Waits for a correlated event after the actions.</summary>
/// <param name="Id">The wait's id.</param>
/// <param name="EventType">The event type awaited.</param>
/// <param name="Correlate">The value the event must carry.</param>
/// <param name="Timeout">How long to wait.</param>
/// <param name="OnTimeout">What happens then.</param>
/// <param name="Task">The task opened on a timeout when <see cref="OnTimeout"/> is review.</param>
public sealed record WaitDefinition(string Id, string EventType, CompiledExpression Correlate, TimeSpan Timeout, TimeoutAction OnTimeout, string? Task);

/// <summary>What a timed-out wait does.</summary>
public enum TimeoutAction
{
    /// <summary>Complete the instance.</summary>
    Complete,

    /// <summary>Fail the instance.</summary>
    Fail,

    /// <summary>Open a human task.</summary>
    Review,
}

/// <summary>An SLA timer: when it fires and the instance is still open, it escalates.</summary>
/// <param name="Id">The timer's id.</param>
/// <param name="After">Its delay from the instance's start.</param>
/// <param name="Escalate">What it does.</param>
public sealed record SlaTimer(string Id, TimeSpan After, ImmutableArray<Escalation> Escalate);

/// <summary>One escalation.</summary>
/// <param name="Kind">Notify, reassign or raise priority.</param>
/// <param name="Target">Who is notified, the queue reassigned to, or the new priority.</param>
public sealed record Escalation(EscalationKind Kind, string Target);

/// <summary>The kinds of escalation.</summary>
public enum EscalationKind
{
    /// <summary>Notify a role or person.</summary>
    Notify,

    /// <summary>Move the open task to another queue.</summary>
    Reassign,

    /// <summary>Raise the instance's priority.</summary>
    RaisePriority,
}

/// <summary>A human task template.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Queue">The queue it lands in.</param>
/// <param name="Assignee">A person, if it is assigned.</param>
/// <param name="Sla">How long it may wait before it escalates to the queue.</param>
/// <param name="Show">The context variables shown to the human.</param>
/// <param name="Outcomes">The outcomes the human may choose.</param>
/// <param name="RationaleRequired">Whether a rationale is required.</param>
public sealed record HumanTaskTemplate(string Id, string Queue, string? Assignee, TimeSpan Sla, ImmutableArray<string> Show, ImmutableArray<TaskOutcome> Outcomes, bool RationaleRequired);

/// <summary>What a human decides on a task.</summary>
public enum TaskOutcome
{
    /// <summary>Approve what is proposed.</summary>
    Approve,

    /// <summary>Reject it: the instance completes without acting.</summary>
    Reject,

    /// <summary>Replace the proposed value with another.</summary>
    Override,
}
