using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Coordinator.Contracts;
using Coordinator.Workflows.Definitions;

namespace Coordinator.Workflows.Engine;

/// <summary>What the host must do for a decision; the engine itself does nothing.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(CallConnector), "CallConnector")]
[JsonDerivedType(typeof(OpenHumanTask), "OpenHumanTask")]
[JsonDerivedType(typeof(CloseHumanTask), "CloseHumanTask")]
[JsonDerivedType(typeof(ScheduleTimer), "ScheduleTimer")]
[JsonDerivedType(typeof(CancelTimer), "CancelTimer")]
[JsonDerivedType(typeof(Notify), "Notify")]
[JsonDerivedType(typeof(ReassignTask), "ReassignTask")]
[JsonDerivedType(typeof(RaisePriority), "RaisePriority")]
[JsonDerivedType(typeof(CompleteInstance), "CompleteInstance")]
[JsonDerivedType(typeof(FailInstance), "FailInstance")]
[JsonDerivedType(typeof(ParkInstance), "ParkInstance")]
public abstract record WorkflowEffect;

/// <summary>Call a connector; the key makes it take effect once.</summary>
/// <param name="Key">The idempotency key, <c>{instance}/{step}</c>.</param>
/// <param name="Connector">The connector.</param>
/// <param name="Operation">The operation.</param>
/// <param name="Input">The inputs.</param>
public sealed record CallConnector(string Key, string Connector, string Operation, ImmutableSortedDictionary<string, object?> Input) : WorkflowEffect;

/// <summary>Open a human task.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Assignee">Its assignee, if any.</param>
/// <param name="SlaDue">When its SLA is breached.</param>
/// <param name="Shown">The context shown.</param>
/// <param name="Outcomes">The allowed outcomes.</param>
/// <param name="RationaleRequired">Whether a rationale is required.</param>
/// <param name="Subject">What is asked, e.g. the suggestion or the mismatched values.</param>
public sealed record OpenHumanTask(string TaskId, string Queue, string? Assignee, DateTimeOffset SlaDue, ImmutableSortedDictionary<string, string> Shown, ImmutableArray<TaskOutcome> Outcomes, bool RationaleRequired, string Subject) : WorkflowEffect;

/// <summary>Close a human task.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Outcome">How it ended.</param>
public sealed record CloseHumanTask(string TaskId, string Outcome) : WorkflowEffect;

/// <summary>Schedule a timer; it comes back as <see cref="TimerFired"/>.</summary>
/// <param name="TimerId">The timer.</param>
/// <param name="Due">When.</param>
public sealed record ScheduleTimer(string TimerId, DateTimeOffset Due) : WorkflowEffect;

/// <summary>Cancel a timer.</summary>
/// <param name="TimerId">The timer.</param>
public sealed record CancelTimer(string TimerId) : WorkflowEffect;

/// <summary>Notify a role or person.</summary>
/// <param name="Target">Who.</param>
/// <param name="Message">What.</param>
public sealed record Notify(string Target, string Message) : WorkflowEffect;

/// <summary>Move a task to another queue.</summary>
/// <param name="TaskId">The task, or null when none is open (the instance's owner queue changes).</param>
/// <param name="Queue">The new queue.</param>
public sealed record ReassignTask(string? TaskId, string Queue) : WorkflowEffect;

/// <summary>Raise the instance's priority.</summary>
/// <param name="Priority">The new priority.</param>
public sealed record RaisePriority(string Priority) : WorkflowEffect;

/// <summary>The instance completed.</summary>
/// <param name="Outcome">How.</param>
public sealed record CompleteInstance(string Outcome) : WorkflowEffect;

/// <summary>The instance failed.</summary>
/// <param name="Reason">Why.</param>
public sealed record FailInstance(string Reason) : WorkflowEffect;

/// <summary>Park the instance for a human: nothing more happens until an operator acts.</summary>
/// <param name="Lane">The failure lane (data for a guard or a mismatch).</param>
/// <param name="Reason">Why, and what to do.</param>
/// <param name="Guard">The guard that tripped, if one did.</param>
public sealed record ParkInstance(FailureClass Lane, string Reason, string? Guard) : WorkflowEffect;
