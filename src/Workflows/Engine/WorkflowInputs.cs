using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Coordinator.Contracts;

namespace Coordinator.Workflows.Engine;

/// <summary>
/// Something that happened to an instance and that the engine decides on. Time arrives here,
/// never from a clock.
/// </summary>
/// <param name="At">When it happened.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TriggerReceived), "V1.TriggerReceived")]
[JsonDerivedType(typeof(ConnectorOutcome), "V1.ConnectorOutcome")]
[JsonDerivedType(typeof(HumanTaskDecided), "V1.HumanTaskDecided")]
[JsonDerivedType(typeof(FastTrackObjected), "V1.FastTrackObjected")]
[JsonDerivedType(typeof(TimerFired), "V1.TimerFired")]
[JsonDerivedType(typeof(CorrelatedEventReceived), "V1.CorrelatedEventReceived")]
[JsonDerivedType(typeof(OperatorCommanded), "V1.OperatorCommanded")]
public abstract record WorkflowInput(DateTimeOffset At);

/// <summary>The trigger record arrived.</summary>
/// <param name="At">When.</param>
/// <param name="Record">The record's fields (nested objects flattened to dotted names).</param>
public sealed record TriggerReceived(DateTimeOffset At, ImmutableSortedDictionary<string, object?> Record) : WorkflowInput(At);

/// <summary>A connector reported the outcome of a call the engine asked for.</summary>
/// <param name="At">When.</param>
/// <param name="Key">The call's idempotency key.</param>
/// <param name="Succeeded">Whether it succeeded.</param>
/// <param name="Output">What it returned (flattened).</param>
/// <param name="Failure">The failure's class when it failed.</param>
/// <param name="Error">The failure's message.</param>
public sealed record ConnectorOutcome(DateTimeOffset At, string Key, bool Succeeded, ImmutableSortedDictionary<string, object?> Output, FailureClass? Failure = null, string? Error = null) : WorkflowInput(At);

/// <summary>A human decided a task.</summary>
/// <param name="At">When.</param>
/// <param name="TaskId">The task.</param>
/// <param name="Actor">Who decided.</param>
/// <param name="Outcome">What they decided.</param>
/// <param name="Rationale">Why.</param>
/// <param name="Value">The value they chose instead, for an override.</param>
public sealed record HumanTaskDecided(DateTimeOffset At, string TaskId, string Actor, Definitions.TaskOutcome Outcome, string Rationale, string? Value = null) : WorkflowInput(At);

/// <summary>Someone objected to a fast-track approval inside its window.</summary>
/// <param name="At">When.</param>
/// <param name="Actor">Who objected.</param>
/// <param name="Rationale">Why.</param>
public sealed record FastTrackObjected(DateTimeOffset At, string Actor, string Rationale) : WorkflowInput(At);

/// <summary>A timer the engine scheduled fired.</summary>
/// <param name="At">When.</param>
/// <param name="TimerId">The timer.</param>
public sealed record TimerFired(DateTimeOffset At, string TimerId) : WorkflowInput(At);

/// <summary>An event that may be the one an instance waits for.</summary>
/// <param name="At">When.</param>
/// <param name="EventType">Its type.</param>
/// <param name="Correlation">Its correlation value.</param>
public sealed record CorrelatedEventReceived(DateTimeOffset At, string EventType, string Correlation) : WorkflowInput(At);

/// <summary>An operator acted on a parked instance.</summary>
/// <param name="At">When.</param>
/// <param name="Operator">The operator's name.</param>
/// <param name="Command">Resume (approving what was parked) or cancel.</param>
/// <param name="Reason">Why.</param>
public sealed record OperatorCommanded(DateTimeOffset At, string Operator, OperatorCommand Command, string Reason) : WorkflowInput(At);

/// <summary>What an operator can do to a parked instance.</summary>
public enum OperatorCommand
{
    /// <summary>Approve what was parked and go on (a guard park), accept the verified value (a verification park), or retry the failed call (a connector park).</summary>
    Resume,

    /// <summary>End the instance without acting further.</summary>
    Cancel,
}
