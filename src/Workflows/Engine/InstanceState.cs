using System.Collections.Immutable;
using Coordinator.Workflows.Definitions;

namespace Coordinator.Workflows.Engine;

/// <summary>
/// An instance's state: what <see cref="WorkflowEngine.Apply(InstanceState, WorkflowEvent)"/> folds from its events. Immutable;
/// holds no clock and no references to the outside.
/// </summary>
public sealed record InstanceState
{
    /// <summary>The state before the trigger.</summary>
    public static InstanceState Initial { get; } = new();

    /// <summary>The instance's id.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Its case.</summary>
    public string? CaseKey { get; init; }

    /// <summary>The pinned definition's name.</summary>
    public string? Definition { get; init; }

    /// <summary>The pinned definition's version.</summary>
    public int Version { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Where it stands.</summary>
    public InstanceStatus Status { get; init; } = InstanceStatus.NotStarted;

    /// <summary>The context: every variable's value.</summary>
    public ImmutableDictionary<string, object?> Facts { get; init; } = ImmutableDictionary.Create<string, object?>(StringComparer.Ordinal);

    /// <summary>Look-ups not yet answered.</summary>
    public ImmutableSortedSet<string> PendingLookups { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>The next reconciliation to check.</summary>
    public int NextReconcile { get; init; }

    /// <summary>The open human task, if any.</summary>
    public OpenTask? Task { get; init; }

    /// <summary>How many tasks were opened (task ids are numbered).</summary>
    public int TasksOpened { get; init; }

    /// <summary>The next act step to start.</summary>
    public int NextStep { get; init; }

    /// <summary>The act step in flight, or -1.</summary>
    public int CurrentStep { get; init; } = -1;

    /// <summary>Whether the step in flight is in its verification read.</summary>
    public bool Verifying { get; init; }

    /// <summary>The idempotency key of the call in flight.</summary>
    public string? PendingKey { get; init; }

    /// <summary>Retries of calls that failed on their data, across the instance (retry keys are numbered).</summary>
    public int Retries { get; init; }

    /// <summary>How the action was approved, if it was.</summary>
    public ApprovalBy? ApprovedBy { get; init; }

    /// <summary>The human who approved, if one did.</summary>
    public string? Approver { get; init; }

    /// <summary>The classifier's score, when there was one.</summary>
    public decimal? Score { get; init; }

    /// <summary>Whether the decision was taken automatically by the high confidence tier.</summary>
    public bool AutomaticByConfidence { get; init; }

    /// <summary>The open fast-track window's timer.</summary>
    public string? FastTrackTimer { get; init; }

    /// <summary>The awaited event's type.</summary>
    public string? WaitEventType { get; init; }

    /// <summary>The awaited event's correlation value.</summary>
    public string? WaitCorrelation { get; init; }

    /// <summary>The wait's timeout timer.</summary>
    public string? WaitTimer { get; init; }

    /// <summary>What parked the instance, while parked.</summary>
    public ParkCause? ParkedBy { get; init; }

    /// <summary>The instance's priority after escalations.</summary>
    public string? Priority { get; init; }

    /// <summary>How many events were applied.</summary>
    public long EventCount { get; init; }

    /// <summary>Whether the instance has ended.</summary>
    public bool IsEnded => Status is InstanceStatus.Completed or InstanceStatus.Rejected or InstanceStatus.Failed or InstanceStatus.Cancelled or InstanceStatus.Ignored;
}

/// <summary>The open human task.</summary>
/// <param name="TaskId">Its id.</param>
/// <param name="Template">Its template.</param>
/// <param name="Purpose">What it decides.</param>
/// <param name="Suggestion">The value proposed, if any.</param>
/// <param name="SlaTimer">Its SLA timer.</param>
public sealed record OpenTask(string TaskId, string Template, TaskPurpose Purpose, string? Suggestion, string SlaTimer);

/// <summary>What the engine decided for one input: events to persist and effects to carry out, or a rejection.</summary>
/// <param name="Events">The events, in order.</param>
/// <param name="Effects">The effects, in order.</param>
/// <param name="Rejection">Why the input was refused (the state is unchanged), or null.</param>
public sealed record Decision(ImmutableArray<WorkflowEvent> Events, ImmutableArray<WorkflowEffect> Effects, string? Rejection)
{
    /// <summary>A refused input.</summary>
    /// <param name="why">Why.</param>
    /// <returns>The decision.</returns>
    public static Decision Rejected(string why) => new([], [], why);
}

/// <summary>Task outcome names as written in definitions.</summary>
internal static class TaskOutcomeNames
{
    public static string Name(TaskOutcome o) => o switch
    {
        TaskOutcome.Approve => "approve",
        TaskOutcome.Reject => "reject",
        _ => "override",
    };
}
