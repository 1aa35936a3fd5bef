namespace Coordinator.Workflows.Tests.Engine;

public sealed class VersioningTests
{
    private static readonly WorkflowDefinition V2 = Samples.Load("refund-approval");

    private static readonly WorkflowDefinition V3 = Samples.LoadText(
        Samples.Text("refund-approval").Replace("version: 2", "version: 3", StringComparison.Ordinal).Replace("up-to: 50 ", "up-to: 10 ", StringComparison.Ordinal)).Definitions[0];

    [Fact]
    public void Store_KeepsVersionsByNameAndVersion()
    {
        var store = DefinitionStore.Of([V2, V3]);
        Assert.Same(V3, store.Latest("refund-approval"));
        Assert.Same(V2, store.Get("refund-approval", 2));
        Assert.Null(store.Get("refund-approval", 1));
    }

    [Fact]
    public void Instance_StartedOnV2_KeepsV2RulesAfterV3IsAdded()
    {
        var store = DefinitionStore.Of([V2]);
        var i = new Instance(store.For("refund-approval", InstanceState.Initial)!);
        i.Trigger(Samples.Refund(40));
        Assert.Equal(2, i.Single<InstanceStarted>().Version);

        store = store.Add(V3);
        i.Definition = store.For("refund-approval", i.State)!;
        Assert.Same(V2, i.Definition);
        i.Answer("customer", ("refundsLast30Days", 0), ("status", "active"));
        Assert.Equal(ApprovalTier.Instant, i.Single<ApprovalTiered>().Tier);

        var fresh = new Instance(store.For("refund-approval", InstanceState.Initial)!);
        fresh.Trigger(Samples.Refund(40, id: "r-2"));
        fresh.Answer("customer", ("refundsLast30Days", 0), ("status", "active"));
        Assert.Equal(ApprovalTier.FastTrack, fresh.Single<ApprovalTiered>().Tier);
    }

    [Fact]
    public void Decide_WithAnotherVersionThanThePinnedOne_IsRefused()
    {
        var i = new Instance(V2);
        i.Trigger(Samples.Refund(40));
        i.Definition = V3;
        var d = i.Answer("customer", ("refundsLast30Days", 0), ("status", "active"));
        Assert.Contains("pinned to refund-approval version 2", d.Rejection, StringComparison.Ordinal);
        Assert.Empty(d.Events);
    }
}
