using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Coordinator.Contracts;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Connectors;

/// <summary>Asks a connector's supervisor to perform an action. The reply is <see cref="ActionSucceeded"/> or <see cref="ActionFailed"/>, preceded by <see cref="ActionQueued"/> while the circuit is open.</summary>
public sealed record Execute(ConnectorRequest Request) : ICoordinatorMessage;

/// <summary>The action took effect (and was read back, if the operation verifies).</summary>
public sealed record ActionSucceeded(string IdempotencyKey, int Status, JsonObject Output, bool Verified, int Attempts) : ICoordinatorMessage;

/// <summary>The action failed in <paramref name="Class"/>'s lane: <see cref="FailureClass.Data"/> parks the step for an operator.</summary>
public sealed record ActionFailed(string IdempotencyKey, FailureClass Class, string Outcome, string Message, string Fix, int? Status) : ICoordinatorMessage;

/// <summary>The connector's circuit is open: the action is queued durably and runs when the system recovers.</summary>
public sealed record ActionQueued(string IdempotencyKey, int Position) : ICoordinatorMessage;

/// <summary>
/// To a request with a <see cref="ConnectorRequest.ReplyTo"/>: the action is in the outbox (journaled), so its
/// outcome will reach the entity even if either side restarts. The entity may now acknowledge what caused it.
/// </summary>
public sealed record ActionAccepted(string IdempotencyKey) : ICoordinatorMessage;

/// <summary>From the entity to the supervisor: it has journaled the outcome of <paramref name="IdempotencyKey"/>; stop delivering it.</summary>
public sealed record ActionOutcomeReceived(string IdempotencyKey) : ICoordinatorMessage;

/// <summary>Asks for the queued actions, in the order they will run.</summary>
public sealed record GetQueue : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static GetQueue Instance { get; } = new();
}

/// <summary>The queued (accepted, not completed) actions in order.</summary>
public sealed record QueueView(string Connector, IReadOnlyList<ConnectorRequest> Actions) : ICoordinatorMessage;

/// <summary>Operator: run the queued actions in this order (keys not named keep their relative order after them). Audited.</summary>
public sealed record ReorderQueue(IReadOnlyList<string> Keys, string Operator) : ICoordinatorMessage;

/// <summary>Operator: try the queue now instead of waiting for the break to end (a probe first). Audited.</summary>
public sealed record DrainQueue(string Operator) : ICoordinatorMessage;

/// <summary>Asks for the circuit's state.</summary>
public sealed record GetCircuit : ICoordinatorMessage
{
    /// <summary>The instance.</summary>
    public static GetCircuit Instance { get; } = new();
}

/// <summary>Circuit states.</summary>
public enum CircuitState
{
    /// <summary>Calls flow.</summary>
    Closed,

    /// <summary>Calls are queued; a probe runs after the break.</summary>
    Open,

    /// <summary>One queued action runs as a probe.</summary>
    HalfOpen,
}

/// <summary>A circuit's state, since when, and its history.</summary>
public sealed record CircuitView(string Connector, CircuitState State, DateTimeOffset Since, int Opened, TimeSpan? LastTimeToRecovery, int QueueDepth, int InFlight) : ICoordinatorMessage;

/// <summary>Journal: an action was accepted into the outbox (pending until completed).</summary>
public sealed record ConnectorActionAccepted(ConnectorRequest Request) : ICoordinatorMessage;

/// <summary>Journal: an action's final outcome; a replay of the same key is answered with it. With <paramref name="ReplyTo"/>, it is delivered there until acknowledged.</summary>
public sealed record ConnectorActionCompleted(string IdempotencyKey, bool Succeeded, int? Status, JsonObject? Output, bool Verified, int Attempts, FailureClass? Class, string? Outcome, string? Message, string? Fix, string? ReplyTo = null) : ICoordinatorMessage;

/// <summary>Journal: the entity acknowledged the outcome of <paramref name="IdempotencyKey"/>.</summary>
public sealed record ConnectorActionDelivered(string IdempotencyKey) : ICoordinatorMessage;

/// <summary>Journal: the circuit opened.</summary>
public sealed record ConnectorCircuitOpened(DateTimeOffset At, string Outcome, string Message) : ICoordinatorMessage;

/// <summary>Journal: the circuit closed after a successful probe, <paramref name="TimeToRecovery"/> after it opened.</summary>
public sealed record ConnectorCircuitClosed(DateTimeOffset At, TimeSpan TimeToRecovery) : ICoordinatorMessage;

/// <summary>Journal: the circuit's break ended and the head of the queue runs as a probe (half-open).</summary>
public sealed record ConnectorCircuitHalfOpened(DateTimeOffset At) : ICoordinatorMessage;

/// <summary>Journal: the probe failed in the infrastructure lane; the circuit is open again (it still counts as one opening, and its time to recovery runs on from the first).</summary>
public sealed record ConnectorProbeFailed(DateTimeOffset At, string Outcome, string Message) : ICoordinatorMessage;

/// <summary>Journal: an operator reordered the queue.</summary>
public sealed record ConnectorQueueReordered(IReadOnlyList<string> Keys, string Operator) : ICoordinatorMessage;

/// <summary>Journal: an operator asked for the queue to be tried now.</summary>
public sealed record ConnectorDrainRequested(string Operator) : ICoordinatorMessage;

/// <summary>Snapshot of a supervisor: its queue, its outbox window, the outcomes not yet acknowledged, and its circuit.</summary>
public sealed record ConnectorSnapshot(
    IReadOnlyList<ConnectorRequest> Pending,
    IReadOnlyList<ConnectorActionCompleted> Completed,
    IReadOnlyList<ConnectorActionCompleted> Undelivered,
    CircuitState State,
    DateTimeOffset Since,
    DateTimeOffset OpenedAt,
    int Opened,
    TimeSpan? LastRecovery,
    bool Draining) : ICoordinatorMessage;

/// <summary>Registers the connector supervisors' journal events.</summary>
public static class ConnectorJournal
{
    /// <summary>Registers the events, the snapshot and the protocol's messages; call once when building the registry of a system with connectors.</summary>
    public static EventTypeRegistry AddConnectors(this EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .Register("V1.ConnectorActionAccepted", ConnectorJsonContext.Default.ConnectorActionAccepted)
            .Register("V1.ConnectorActionCompleted", ConnectorJsonContext.Default.ConnectorActionCompleted)
            .Register("V1.ConnectorCircuitOpened", ConnectorJsonContext.Default.ConnectorCircuitOpened)
            .Register("V1.ConnectorCircuitClosed", ConnectorJsonContext.Default.ConnectorCircuitClosed)
            .Register("V1.ConnectorQueueReordered", ConnectorJsonContext.Default.ConnectorQueueReordered)
            .Register("V1.ConnectorDrainRequested", ConnectorJsonContext.Default.ConnectorDrainRequested)
            .Register("V1.ConnectorActionDelivered", ConnectorJsonContext.Default.ConnectorActionDelivered)
            .Register("V1.ConnectorSnapshot", ConnectorJsonContext.Default.ConnectorSnapshot)
            .Register("V1.ConnectorCircuitHalfOpened", ConnectorJsonContext.Default.ConnectorCircuitHalfOpened)
            .Register("V1.ConnectorProbeFailed", ConnectorJsonContext.Default.ConnectorProbeFailed)

            // The protocol: these cross nodes (a step entity on one node, its connector's supervisor on another).
            .Register("V1.Connectors.Execute", ConnectorJsonContext.Default.Execute)
            .Register("V1.Connectors.ActionAccepted", ConnectorJsonContext.Default.ActionAccepted)
            .Register("V1.Connectors.ActionQueued", ConnectorJsonContext.Default.ActionQueued)
            .Register("V1.Connectors.ActionSucceeded", ConnectorJsonContext.Default.ActionSucceeded)
            .Register("V1.Connectors.ActionFailed", ConnectorJsonContext.Default.ActionFailed)
            .Register("V1.Connectors.ActionOutcomeReceived", ConnectorJsonContext.Default.ActionOutcomeReceived)
            .Register("V1.Connectors.GetQueue", ConnectorJsonContext.Default.GetQueue)
            .Register("V1.Connectors.QueueView", ConnectorJsonContext.Default.QueueView)
            .Register("V1.Connectors.ReorderQueue", ConnectorJsonContext.Default.ReorderQueue)
            .Register("V1.Connectors.DrainQueue", ConnectorJsonContext.Default.DrainQueue)
            .Register("V1.Connectors.GetCircuit", ConnectorJsonContext.Default.GetCircuit)
            .Register("V1.Connectors.CircuitView", ConnectorJsonContext.Default.CircuitView);
    }
}

[JsonSerializable(typeof(ConnectorActionAccepted))]
[JsonSerializable(typeof(ConnectorActionCompleted))]
[JsonSerializable(typeof(ConnectorCircuitOpened))]
[JsonSerializable(typeof(ConnectorCircuitClosed))]
[JsonSerializable(typeof(ConnectorQueueReordered))]
[JsonSerializable(typeof(ConnectorDrainRequested))]
[JsonSerializable(typeof(ConnectorActionDelivered))]
[JsonSerializable(typeof(ConnectorSnapshot))]
[JsonSerializable(typeof(ConnectorCircuitHalfOpened))]
[JsonSerializable(typeof(ConnectorProbeFailed))]
[JsonSerializable(typeof(Execute))]
[JsonSerializable(typeof(ActionAccepted))]
[JsonSerializable(typeof(ActionQueued))]
[JsonSerializable(typeof(ActionSucceeded))]
[JsonSerializable(typeof(ActionFailed))]
[JsonSerializable(typeof(ActionOutcomeReceived))]
[JsonSerializable(typeof(GetQueue))]
[JsonSerializable(typeof(QueueView))]
[JsonSerializable(typeof(ReorderQueue))]
[JsonSerializable(typeof(DrainQueue))]
[JsonSerializable(typeof(GetCircuit))]
[JsonSerializable(typeof(CircuitView))]
internal sealed partial class ConnectorJsonContext : JsonSerializerContext;
