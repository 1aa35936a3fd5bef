using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Coordinator.Contracts;
using Coordinator.Workflows.Definitions;

namespace Coordinator.Workflows.Engine;

/// <summary>
/// A fact about an instance, recorded with its audit. Persisted with a stable, versioned type
/// name (<c>V1.InstanceStarted</c>) that is not the CLR name.
/// </summary>
/// <param name="At">When it happened (from the input that caused it).</param>
/// <param name="Audit">Who, what and why.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(InstanceStarted), "V1.InstanceStarted")]
[JsonDerivedType(typeof(TriggerIgnored), "V1.TriggerIgnored")]
[JsonDerivedType(typeof(LookupsRequested), "V1.LookupsRequested")]
[JsonDerivedType(typeof(FactsGathered), "V1.FactsGathered")]
[JsonDerivedType(typeof(ReconciliationMismatched), "V1.ReconciliationMismatched")]
[JsonDerivedType(typeof(Reconciled), "V1.Reconciled")]
[JsonDerivedType(typeof(RuleDecided), "V1.RuleDecided")]
[JsonDerivedType(typeof(ConfidenceTiered), "V1.ConfidenceTiered")]
[JsonDerivedType(typeof(ApprovalTiered), "V1.ApprovalTiered")]
[JsonDerivedType(typeof(Approved), "V1.Approved")]
[JsonDerivedType(typeof(FastTrackStarted), "V1.FastTrackStarted")]
[JsonDerivedType(typeof(FastTrackObjectionRaised), "V1.FastTrackObjectionRaised")]
[JsonDerivedType(typeof(HumanTaskOpened), "V1.HumanTaskOpened")]
[JsonDerivedType(typeof(HumanTaskClosed), "V1.HumanTaskClosed")]
[JsonDerivedType(typeof(StepRequested), "V1.StepRequested")]
[JsonDerivedType(typeof(StepSucceeded), "V1.StepSucceeded")]
[JsonDerivedType(typeof(VerificationMismatched), "V1.VerificationMismatched")]
[JsonDerivedType(typeof(WaitStarted), "V1.WaitStarted")]
[JsonDerivedType(typeof(WaitEnded), "V1.WaitEnded")]
[JsonDerivedType(typeof(SlaBreached), "V1.SlaBreached")]
[JsonDerivedType(typeof(InstanceParked), "V1.InstanceParked")]
[JsonDerivedType(typeof(InstanceResumed), "V1.InstanceResumed")]
[JsonDerivedType(typeof(InstanceEnded), "V1.InstanceEnded")]
public abstract record WorkflowEvent(DateTimeOffset At, Audit Audit);

/// <summary>An instance started, pinned to its definition's version.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="InstanceId">The instance.</param>
/// <param name="CaseKey">Its case.</param>
/// <param name="Definition">The definition's name.</param>
/// <param name="Version">The definition's version, pinned for the instance's life.</param>
/// <param name="Record">The record's declared fields.</param>
public sealed record InstanceStarted(DateTimeOffset At, Audit Audit, string InstanceId, string CaseKey, string Definition, int Version, ImmutableSortedDictionary<string, object?> Record) : WorkflowEvent(At, Audit);

/// <summary>A record started nothing: its start condition was false, or it was malformed.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Malformed">Whether the record broke its contract (then it went to the data lane).</param>
public sealed record TriggerIgnored(DateTimeOffset At, Audit Audit, bool Malformed) : WorkflowEvent(At, Audit);

/// <summary>Look-ups were sent to their connectors.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Lookups">The look-ups' ids.</param>
public sealed record LookupsRequested(DateTimeOffset At, Audit Audit, ImmutableArray<string> Lookups) : WorkflowEvent(At, Audit);

/// <summary>Facts entered the context (a look-up's answer, a verification's read-back).</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Source">The look-up's or step's id.</param>
/// <param name="Facts">The values, by variable name.</param>
public sealed record FactsGathered(DateTimeOffset At, Audit Audit, string Source, ImmutableSortedDictionary<string, object?> Facts) : WorkflowEvent(At, Audit);

/// <summary>Two sources of one field disagree: a human reviews both values.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Field">The reconciled field.</param>
/// <param name="Values">Each source's value.</param>
public sealed record ReconciliationMismatched(DateTimeOffset At, Audit Audit, string Field, ImmutableSortedDictionary<string, string> Values) : WorkflowEvent(At, Audit);

/// <summary>A reconciled field has its value.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Field">The field.</param>
/// <param name="Value">The agreed or chosen value.</param>
public sealed record Reconciled(DateTimeOffset At, Audit Audit, string Field, object Value) : WorkflowEvent(At, Audit);

/// <summary>The rules decided: the first that matched, or the default.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why (rule id, condition and the rules tried in the evidence).</param>
/// <param name="RuleId">The rule that matched, or null for the default.</param>
/// <param name="Outcome">What it decided.</param>
/// <param name="Set">The values it set (<c>decision.*</c>).</param>
public sealed record RuleDecided(DateTimeOffset At, Audit Audit, string? RuleId, OutcomeKind Outcome, ImmutableSortedDictionary<string, object?> Set) : WorkflowEvent(At, Audit);

/// <summary>The confidence tier was read from the classifier's score.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why (score and thresholds).</param>
/// <param name="Score">The score.</param>
/// <param name="Tier">The tier.</param>
/// <param name="Suggestion">The classifier's suggestion.</param>
public sealed record ConfidenceTiered(DateTimeOffset At, Audit Audit, decimal Score, ConfidenceTier Tier, string Suggestion) : WorkflowEvent(At, Audit);

/// <summary>The approval tier was read from the amount.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why (amount and limits).</param>
/// <param name="Amount">The amount.</param>
/// <param name="Tier">The tier.</param>
public sealed record ApprovalTiered(DateTimeOffset At, Audit Audit, decimal Amount, ApprovalTier Tier) : WorkflowEvent(At, Audit);

/// <summary>The action was approved: by rule, by a fast-track window, or by a human.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="By">How: instant, fast-track, or human.</param>
/// <param name="Approver">The human, when one approved.</param>
public sealed record Approved(DateTimeOffset At, Audit Audit, ApprovalBy By, string? Approver) : WorkflowEvent(At, Audit);

/// <summary>A fast-track window opened.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="TimerId">The window's timer.</param>
/// <param name="Due">When it closes.</param>
public sealed record FastTrackStarted(DateTimeOffset At, Audit Audit, string TimerId, DateTimeOffset Due) : WorkflowEvent(At, Audit);

/// <summary>Someone objected inside a fast-track window: it closes and a full review opens.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who objected, and why.</param>
public sealed record FastTrackObjectionRaised(DateTimeOffset At, Audit Audit) : WorkflowEvent(At, Audit);

/// <summary>A human task opened.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="TaskId">The task.</param>
/// <param name="Template">Its template.</param>
/// <param name="Purpose">What it decides.</param>
/// <param name="Subject">What is asked.</param>
/// <param name="Suggestion">The value proposed, if any.</param>
public sealed record HumanTaskOpened(DateTimeOffset At, Audit Audit, string TaskId, string Template, TaskPurpose Purpose, string Subject, string? Suggestion) : WorkflowEvent(At, Audit);

/// <summary>A human task closed with a human's decision.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who (the human), what, why (their rationale).</param>
/// <param name="TaskId">The task.</param>
/// <param name="Outcome">The decision.</param>
/// <param name="Value">The chosen value for an override.</param>
public sealed record HumanTaskClosed(DateTimeOffset At, Audit Audit, string TaskId, TaskOutcome Outcome, string? Value) : WorkflowEvent(At, Audit);

/// <summary>An act step's call (or its verification read) was sent.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Step">The step index.</param>
/// <param name="Key">The idempotency key.</param>
/// <param name="Verifying">Whether this is the verification read.</param>
public sealed record StepRequested(DateTimeOffset At, Audit Audit, int Step, string Key, bool Verifying) : WorkflowEvent(At, Audit);

/// <summary>An act step took effect (and, if it has a verification, was verified).</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Step">The step index.</param>
/// <param name="Verified">Whether it was read back and matched.</param>
public sealed record StepSucceeded(DateTimeOffset At, Audit Audit, int Step, bool Verified) : WorkflowEvent(At, Audit);

/// <summary>An action's read-back did not match: the data lane.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why (expected condition, values read).</param>
/// <param name="Step">The step index.</param>
public sealed record VerificationMismatched(DateTimeOffset At, Audit Audit, int Step) : WorkflowEvent(At, Audit);

/// <summary>The instance waits for a correlated event.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="EventType">The event awaited.</param>
/// <param name="Correlation">The value it must carry.</param>
/// <param name="TimerId">The timeout's timer.</param>
/// <param name="Due">When it times out.</param>
public sealed record WaitStarted(DateTimeOffset At, Audit Audit, string EventType, string Correlation, string TimerId, DateTimeOffset Due) : WorkflowEvent(At, Audit);

/// <summary>The wait ended: the event came, or the timeout fired.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="TimedOut">Whether it timed out.</param>
public sealed record WaitEnded(DateTimeOffset At, Audit Audit, bool TimedOut) : WorkflowEvent(At, Audit);

/// <summary>An SLA timer fired on an open instance and escalated.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Sla">The SLA timer's id (or <c>task:{id}</c> for a task's SLA).</param>
/// <param name="Escalations">What it did.</param>
public sealed record SlaBreached(DateTimeOffset At, Audit Audit, string Sla, ImmutableArray<Escalation> Escalations) : WorkflowEvent(At, Audit);

/// <summary>The instance was parked for a human: a guard, a mismatch, a data failure.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Lane">The failure lane.</param>
/// <param name="Guard">The guard that tripped, if one did.</param>
/// <param name="Cause">What parked it.</param>
public sealed record InstanceParked(DateTimeOffset At, Audit Audit, FailureClass Lane, string? Guard, ParkCause Cause) : WorkflowEvent(At, Audit);

/// <summary>An operator resumed a parked instance.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who (the operator), what, why.</param>
/// <param name="Cause">What had parked it.</param>
public sealed record InstanceResumed(DateTimeOffset At, Audit Audit, ParkCause Cause) : WorkflowEvent(At, Audit);

/// <summary>The instance ended.</summary>
/// <param name="At">When.</param>
/// <param name="Audit">Who, what, why.</param>
/// <param name="Status">How it ended.</param>
public sealed record InstanceEnded(DateTimeOffset At, Audit Audit, InstanceStatus Status) : WorkflowEvent(At, Audit);

/// <summary>Confidence tiers.</summary>
public enum ConfidenceTier
{
    /// <summary>Below medium: the manual queue.</summary>
    Low,

    /// <summary>At or above medium: a suggestion for a human to confirm.</summary>
    Medium,

    /// <summary>At or above high: automatic.</summary>
    High,
}

/// <summary>Approval tiers.</summary>
public enum ApprovalTier
{
    /// <summary>Approved by rule, no wait.</summary>
    Instant,

    /// <summary>Approved after a window without objection.</summary>
    FastTrack,

    /// <summary>A human reviews it.</summary>
    FullReview,
}

/// <summary>How an action was approved.</summary>
public enum ApprovalBy
{
    /// <summary>By the instant tier's rule.</summary>
    Instant,

    /// <summary>By a fast-track window that closed without objection.</summary>
    FastTrack,

    /// <summary>By a human.</summary>
    Human,
}

/// <summary>What a human task decides.</summary>
public enum TaskPurpose
{
    /// <summary>Which of two disagreeing values is right.</summary>
    Reconcile,

    /// <summary>Confirm a medium-confidence suggestion.</summary>
    Suggestion,

    /// <summary>Decide a low-confidence case by hand.</summary>
    Manual,

    /// <summary>Approve or reject (full review, a rule's review, a risky message).</summary>
    Approval,

    /// <summary>What to do after a wait timed out.</summary>
    Timeout,
}

/// <summary>What parked an instance.</summary>
public enum ParkCause
{
    /// <summary>A guard would have been crossed.</summary>
    Guard,

    /// <summary>A read-back did not match.</summary>
    VerificationMismatch,

    /// <summary>A connector call failed on its data, or an expression could not be evaluated.</summary>
    DataFailure,
}

/// <summary>Where an instance stands.</summary>
public enum InstanceStatus
{
    /// <summary>No trigger yet.</summary>
    NotStarted,

    /// <summary>The trigger started nothing.</summary>
    Ignored,

    /// <summary>Waiting for look-ups.</summary>
    Gathering,

    /// <summary>Waiting for a human task.</summary>
    AwaitingHuman,

    /// <summary>In a fast-track window.</summary>
    FastTrack,

    /// <summary>Waiting for an act step's outcome.</summary>
    Acting,

    /// <summary>Waiting for a verification's read-back.</summary>
    Verifying,

    /// <summary>Waiting for a correlated event.</summary>
    Waiting,

    /// <summary>Parked for an operator.</summary>
    Parked,

    /// <summary>Done: acted (or decided not to act).</summary>
    Completed,

    /// <summary>Rejected by a rule or a human.</summary>
    Rejected,

    /// <summary>Failed.</summary>
    Failed,

    /// <summary>Cancelled by an operator.</summary>
    Cancelled,
}
