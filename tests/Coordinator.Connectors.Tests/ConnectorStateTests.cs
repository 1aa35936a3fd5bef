using System.Text.Json;
using System.Text.Json.Nodes;
using Coordinator.Contracts;

namespace Coordinator.Connectors.Tests;

/// <summary>The supervisor's durable state is a pure fold of its journal: what recovery rebuilds is exactly what live handling built.</summary>
public sealed class ConnectorStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static ConnectorRequest Request(string key, string? replyTo = null) => new("payments", "charge", key, "c", new JsonObject { ["amount"] = 1 }, ReplyTo: replyTo);

    private static ConnectorActionCompleted Completed(string key, string? replyTo = null) => new(key, true, 200, new JsonObject { ["id"] = key }, true, 1, null, null, null, null, replyTo);

    private static ConnectorState Fold(int window, params object[] events)
    {
        var state = new ConnectorState(window);
        foreach (var e in events)
        {
            state.Apply(e);
        }

        return state;
    }

    private static string Json(ConnectorState state) => JsonSerializer.Serialize(state.ToSnapshot());

    [Fact]
    public void Circuit_EveryTransitionIsAnEvent_HalfOpenAndReopeningIncluded()
    {
        var failure = new ConnectorException(FailureClass.Transient, "payments", "charge", "http-503", "down", "wait");
        var closed = ConnectorCircuit.Initial;

        var opened = closed.Apply(closed.OnFailure(T0, failure)!);
        Assert.Null(opened.OnFailure(T0, failure)); // open already: nothing to journal
        var halfOpen = opened.Apply(opened.OnBreakOver(T0.AddSeconds(15))!);
        var reopened = halfOpen.Apply(halfOpen.OnInfrastructureFailure(T0.AddSeconds(16), failure)!);
        var probing = reopened.Apply(reopened.OnBreakOver(T0.AddSeconds(31))!);
        var recovered = probing.Apply(probing.OnSuccess(T0.AddSeconds(32))!);

        Assert.Equal((CircuitState.Open, 1, T0), (opened.State, opened.Opened, opened.Since));
        Assert.Equal((CircuitState.HalfOpen, T0.AddSeconds(15)), (halfOpen.State, halfOpen.Since));
        Assert.Equal((CircuitState.Open, 1, T0.AddSeconds(16), T0), (reopened.State, reopened.Opened, reopened.Since, reopened.OpenedAt));
        Assert.Equal((CircuitState.Closed, TimeSpan.FromSeconds(32), true), (recovered.State, recovered.LastRecovery, recovered.Draining));
        Assert.Null(recovered.OnSuccess(T0.AddSeconds(40)));
        Assert.IsType<ConnectorCircuitOpened>(recovered.OnInfrastructureFailure(T0.AddSeconds(50), failure));
    }

    [Fact]
    public void Outbox_RepeatedFold_GivesTheSameState_AndASnapshotRestoresIt()
    {
        object[] journal =
        [
            new ConnectorActionAccepted(Request("a")), new ConnectorActionAccepted(Request("b", "orders/b")), new ConnectorActionAccepted(Request("c")),
            new ConnectorActionCompleted("a", true, 200, [], true, 1, null, null, null, null),
            new ConnectorCircuitOpened(T0, "http-503", "down"), new ConnectorQueueReordered(["c"], "alice"), new ConnectorCircuitHalfOpened(T0.AddSeconds(15)),
            Completed("b", "orders/b"),
        ];

        var live = Fold(10, journal);
        var recovered = Fold(10, journal);
        var restored = new ConnectorState(10);
        restored.Restore(JsonSerializer.Deserialize<ConnectorSnapshot>(Json(live))!);

        Assert.Equal(Json(live), Json(recovered));
        Assert.Equal(Json(live), Json(restored));
        Assert.Equal(["c"], live.Outbox.Pending.Select(p => p.IdempotencyKey));
        Assert.Equal(CircuitState.HalfOpen, restored.Circuit.State); // a probe lost with its incarnation is tried again after recovery
        Assert.True(restored.Outbox.IsUndelivered("b"));
    }

    [Fact]
    public void Outbox_AnOutcomeLeavesTheUndeliveredSet_OnlyWhenItsAcknowledgementIsFolded()
    {
        var state = Fold(1, new ConnectorActionAccepted(Request("k", "orders/k")), Completed("k", "orders/k"));
        for (var i = 0; i < 5; i++)
        {
            state.Apply(new ConnectorActionAccepted(Request($"p{i}")));
            state.Apply(Completed($"p{i}"));
        }

        Assert.True(state.Outbox.IsUndelivered("k")); // never evicted while unacknowledged, whatever the window
        Assert.NotNull(state.Outbox.Outcome("k"));

        state.Apply(new ConnectorActionDelivered("k"));

        Assert.False(state.Outbox.IsUndelivered("k"));
        Assert.NotNull(state.Outbox.Outcome("k")); // now the latest acknowledged: inside the window of 1
        Assert.Null(state.Outbox.Outcome("p4")); // pushed out of it
    }

    [Fact]
    public void Circuit_RecoveredQueueDrainsInOrder_UntilTheQueueIsEmpty()
    {
        var state = Fold(10, new ConnectorActionAccepted(Request("a")), new ConnectorActionAccepted(Request("b")), new ConnectorCircuitOpened(T0, "http-503", "down"), new ConnectorCircuitHalfOpened(T0), new ConnectorCircuitClosed(T0, TimeSpan.FromSeconds(1)), Completed("a"));
        Assert.True(state.Circuit.Draining);

        state.Apply(Completed("b"));

        Assert.False(state.Circuit.Draining);
    }
}
