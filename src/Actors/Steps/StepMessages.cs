using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Actors.Steps;

/// <summary>One step an entity wants done through a connector.</summary>
/// <param name="Name">The step's name within its run, e.g. <c>charge</c>; part of its idempotency key, so letters, digits, '-', '_' and '.' only.</param>
/// <param name="Connector">The configured connector, e.g. <c>payments</c>.</param>
/// <param name="Operation">The connector's operation, e.g. <c>charge</c>.</param>
/// <param name="Input">The operation's input.</param>
/// <param name="Timeout">Per-attempt timeout; null for the connector's.</param>
public sealed record StepPlan(string Name, string Connector, string Operation, JsonObject Input, TimeSpan? Timeout = null);

/// <summary>Where the active step stands.</summary>
public enum StepStatus
{
    /// <summary>Sent to its connector; the outcome is awaited.</summary>
    Running,

    /// <summary>Its connector's circuit is open: the action waits in the connector's durable queue.</summary>
    Queued,

    /// <summary>Parked: the action failed on its data; an operator decides (retry with an edit, skip, cancel, resolve manually).</summary>
    NeedsAttention,
}

/// <summary>How a step ended.</summary>
public enum StepResolution
{
    /// <summary>The connector did it (and read it back, if the operation verifies).</summary>
    Succeeded,

    /// <summary>An operator sent it again, with its input edited or not, under a new idempotency key.</summary>
    Retried,

    /// <summary>An operator skipped it: the run goes on without its effect.</summary>
    Skipped,

    /// <summary>An operator cancelled the run: its later steps do not happen.</summary>
    Cancelled,

    /// <summary>An operator did it by hand (a manual fallback), perhaps giving its output; the run goes on.</summary>
    ResolvedManually,
}

/// <summary>Why a step failed, as its connector classified it.</summary>
/// <param name="Class">The lane.</param>
/// <param name="Outcome">The outcome, e.g. <c>http-422</c>.</param>
/// <param name="Message">What happened.</param>
/// <param name="Fix">What could fix it.</param>
/// <param name="Status">The HTTP status, if any.</param>
public sealed record StepFailure(FailureClass Class, string Outcome, string Message, string Fix, int? Status);

/// <summary>A concluded step, as the entity folds it into its state.</summary>
/// <param name="Step">The step's name.</param>
/// <param name="IdempotencyKey">The key of its last action.</param>
/// <param name="Resolution">How it ended.</param>
/// <param name="Output">The connector's output, or what the operator gave when resolving it manually.</param>
/// <param name="Operator">Who resolved it; null when the connector did.</param>
public sealed record StepOutcome(string Step, string IdempotencyKey, StepResolution Resolution, JsonObject? Output, string? Operator);

/// <summary>The active step, as operators see it.</summary>
/// <param name="Step">Its name.</param>
/// <param name="IdempotencyKey">Its current action's key; operator commands name it.</param>
/// <param name="Connector">The connector.</param>
/// <param name="Operation">The operation.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Input">The input sent (after any operator edit).</param>
/// <param name="Failure">Why it is parked; null otherwise.</param>
/// <param name="Since">When it entered <paramref name="Status"/>.</param>
/// <param name="Revision">0 for the first action, then one more per operator retry.</param>
/// <param name="TriggeredBy">The business event id of the record whose run it belongs to.</param>
public sealed record StepView(string Step, string IdempotencyKey, string Connector, string Operation, StepStatus Status, JsonObject Input, StepFailure? Failure, DateTimeOffset Since, int Revision, string TriggeredBy);

/// <summary>Asks an entity for its steps.</summary>
public sealed record GetSteps : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static GetSteps Instance { get; } = new();
}

/// <summary>An entity's step state: the active step, and how many records wait behind it.</summary>
/// <param name="EntityId">The entity.</param>
/// <param name="Active">The active step; null when idle.</param>
/// <param name="HeldRecords">Records journaled and waiting, in order, for the active step to end.</param>
public sealed record StepsView(string EntityId, StepView? Active, int HeldRecords) : ICoordinatorMessage;

/// <summary>An operator command on a parked step. Audited: journaled with the operator's name and reason.</summary>
/// <param name="IdempotencyKey">The parked step's key (from its <see cref="StepView"/>), so a command never lands on a different step.</param>
/// <param name="Operator">Who decides.</param>
/// <param name="Reason">Why; kept in the audit trail.</param>
public abstract record StepCommand(string IdempotencyKey, string Operator, string Reason) : ICoordinatorMessage;

/// <summary>Sends the parked step again under a new key, its input changed by <paramref name="Edit"/> (a JSON merge patch, RFC 7396: members replace, null removes) if given.</summary>
public sealed record RetryStep(string IdempotencyKey, JsonObject? Edit, string Operator, string Reason) : StepCommand(IdempotencyKey, Operator, Reason);

/// <summary>Skips the parked step: the run goes on as if it had no effect.</summary>
public sealed record SkipStep(string IdempotencyKey, string Operator, string Reason) : StepCommand(IdempotencyKey, Operator, Reason);

/// <summary>Cancels the parked step's run: its later steps do not happen, and the entity moves on to its next record.</summary>
public sealed record CancelStep(string IdempotencyKey, string Operator, string Reason) : StepCommand(IdempotencyKey, Operator, Reason);

/// <summary>Records that an operator did the parked step by hand, with its <paramref name="Output"/> if any; the run goes on.</summary>
public sealed record ResolveStepManually(string IdempotencyKey, JsonObject? Output, string Operator, string Reason) : StepCommand(IdempotencyKey, Operator, Reason);

/// <summary>The command is journaled (and, for a retry, the new action is in the connector's outbox).</summary>
/// <param name="IdempotencyKey">The step's key the command named.</param>
/// <param name="Resolution">What was done.</param>
/// <param name="NextKey">The retried action's key; null otherwise.</param>
public sealed record StepCommandAccepted(string IdempotencyKey, StepResolution Resolution, string? NextKey) : ICoordinatorMessage;

/// <summary>The command was refused; nothing changed.</summary>
/// <param name="IdempotencyKey">The key the command named.</param>
/// <param name="Reason">Why, and what to do instead.</param>
public sealed record StepCommandRejected(string IdempotencyKey, string Reason) : ICoordinatorMessage;

/// <summary>Published on the event stream when a step is parked, for read models and consoles.</summary>
public sealed record StepNeedsAttention(string EntityId, StepView Step) : ICoordinatorMessage;

/// <summary>Published on the event stream when an operator resolves a parked step.</summary>
public sealed record StepReleased(string EntityId, string IdempotencyKey, StepResolution Resolution, string Operator) : ICoordinatorMessage;

/// <summary>Journal: the active step's action succeeded, at <paramref name="At"/> (from the entity's clock when it handled the outcome; null in events journaled before it was recorded).</summary>
public sealed record StepSucceeded(string Step, string IdempotencyKey, int Status, JsonObject Output, bool Verified, int Attempts, DateTimeOffset? At = null) : ICoordinatorMessage;

/// <summary>Journal: the active step was parked on a data failure.</summary>
public sealed record StepParked(string Step, string IdempotencyKey, string Connector, string Operation, JsonObject Input, StepFailure Failure, DateTimeOffset At) : ICoordinatorMessage;

/// <summary>Journal: an operator resolved the parked step (audited with <c>CausedBy</c> as well).</summary>
public sealed record StepResolved(string Step, string IdempotencyKey, StepResolution Resolution, JsonObject? Input, JsonObject? Output, string Operator, string Reason, DateTimeOffset At) : ICoordinatorMessage;

/// <summary>Registers the step entities' journal events.</summary>
public static class StepJournal
{
    /// <summary>Registers the events (with the ingress's, which step entities also journal).</summary>
    public static EventTypeRegistry AddSteps(this EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .Register("V1.StepSucceeded", StepJsonContext.Default.StepSucceeded)
            .Register("V1.StepParked", StepJsonContext.Default.StepParked)
            .Register("V1.StepResolved", StepJsonContext.Default.StepResolved);
    }

    /// <summary>Registers the events and every step message that can cross nodes (queries, operator commands, their answers, what is published).</summary>
    public static EventTypeRegistry AddStepMessages(this EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (!registry.IsRegistered(typeof(StepSucceeded)))
        {
            registry.AddSteps();
        }

        return registry
            .Register("V1.GetSteps", StepJsonContext.Default.GetSteps)
            .Register("V1.StepsView", StepJsonContext.Default.StepsView)
            .Register("V1.RetryStep", StepJsonContext.Default.RetryStep)
            .Register("V1.SkipStep", StepJsonContext.Default.SkipStep)
            .Register("V1.CancelStep", StepJsonContext.Default.CancelStep)
            .Register("V1.ResolveStepManually", StepJsonContext.Default.ResolveStepManually)
            .Register("V1.StepCommandAccepted", StepJsonContext.Default.StepCommandAccepted)
            .Register("V1.StepCommandRejected", StepJsonContext.Default.StepCommandRejected)
            .Register("V1.StepNeedsAttention", StepJsonContext.Default.StepNeedsAttention)
            .Register("V1.StepReleased", StepJsonContext.Default.StepReleased);
    }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(StepSucceeded))]
[JsonSerializable(typeof(StepParked))]
[JsonSerializable(typeof(StepResolved))]
[JsonSerializable(typeof(GetSteps))]
[JsonSerializable(typeof(StepsView))]
[JsonSerializable(typeof(RetryStep))]
[JsonSerializable(typeof(SkipStep))]
[JsonSerializable(typeof(CancelStep))]
[JsonSerializable(typeof(ResolveStepManually))]
[JsonSerializable(typeof(StepCommandAccepted))]
[JsonSerializable(typeof(StepCommandRejected))]
[JsonSerializable(typeof(StepNeedsAttention))]
[JsonSerializable(typeof(StepReleased))]
internal sealed partial class StepJsonContext : JsonSerializerContext;
