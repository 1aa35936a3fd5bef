using Coordinator.Contracts;

namespace Coordinator.Workflows.Tests.Engine;

public sealed class SupportAndInvoiceTests
{
    private static Instance Ticket(string crmTier, string billingTier, string severity = "normal")
    {
        var i = new Instance(Samples.Load("support-ticket-routing"));
        i.Trigger(Samples.Fields(("ticketId", "t-1"), ("customerId", "c-1"), ("severity", severity), ("email", "x@acme.example")));
        i.Answer("crm", ("tier", crmTier));
        i.Answer("billing", ("tier", billingTier));
        return i;
    }

    [Fact]
    public void Reconciliation_SourcesAgree_RoutesWithoutAHuman()
    {
        var i = Ticket("enterprise", "enterprise");
        Assert.Equal("enterprise", i.Single<Reconciled>().Value);
        Assert.Equal("priority", Assert.Single(i.Calls("assign")).Input["queue"]);
        Assert.Empty(i.Effects.OfType<OpenHumanTask>());
    }

    [Fact]
    public void Reconciliation_Mismatch_OpensAHumanReviewWithBothValuesAndSources()
    {
        var i = Ticket("enterprise", "standard");
        var mismatch = i.Single<ReconciliationMismatched>();
        Assert.Equal("tier", mismatch.Field);
        Assert.Equal("enterprise", mismatch.Values["crm"]);
        Assert.Equal("standard", mismatch.Values["billing"]);
        var task = Assert.Single(i.Effects.OfType<OpenHumanTask>());
        Assert.Equal("support-data-review", task.Queue);
        Assert.Equal(("enterprise", "standard"), (task.Shown["crm.tier"], task.Shown["billing.tier"]));
        Assert.Empty(i.Calls("assign"));

        i.Decide(TaskOutcome.Override, "jo", "billing is right: the contract lapsed", "standard");
        Assert.Equal(("jo", "standard"), (i.Single<Reconciled>().Audit.Who, i.Single<Reconciled>().Value));
        Assert.Equal("standard", Assert.Single(i.Calls("assign")).Input["queue"]);
    }

    [Fact]
    public void SupportTicket_AcknowledgementBelowTheMessageGuard_IsSentAfterTheRoute()
    {
        var i = Ticket("standard", "standard", "critical");
        i.Answer("route", ("ok", true));
        i.Answer("route.verify", ("queue", "priority"));
        Assert.Single(i.Calls("send-email"));
    }

    [Fact]
    public void RuntimeGuard_MessageRiskAboveAStricterThresholdWithNoApprovalPath_Parks()
    {
        var i = new Instance(Samples.Load("support-ticket-routing"), GuardRails.Default with { MessageApprovalAboveRisk = 0.05m });
        i.Trigger(Samples.Fields(("ticketId", "t-1"), ("customerId", "c-1"), ("severity", "normal"), ("email", "x@acme.example")));
        i.Answer("crm", ("tier", "standard"));
        i.Answer("billing", ("tier", "standard"));
        i.Answer("route", ("ok", true));
        i.Answer("route.verify", ("queue", "standard"));
        Assert.Equal(GuardRails.Message, i.Single<InstanceParked>().Guard);
        Assert.Empty(i.Calls("send-email"));
    }

    private static Instance Invoice(decimal amountDue, decimal daysOverdue = 31)
    {
        var i = new Instance(Samples.Load("invoice-ageing"));
        i.Trigger(Samples.Fields(("invoiceId", "inv-7"), ("customerId", "c-1"), ("customerEmail", "ap@acme.example"), ("daysOverdue", daysOverdue), ("amountDue", amountDue)));
        return i;
    }

    [Fact]
    public void Invoice_LowRiskReminder_IsSentThenWaitsForThePayment()
    {
        var i = Invoice(900);
        Assert.Single(i.Calls("send-email"));
        i.Answer("remind", ("messageId", "m-1"));
        var wait = i.Single<WaitStarted>();
        Assert.Equal(("PaymentReceived", "inv-7", Samples.T0.AddDays(14)), (wait.EventType, wait.Correlation, wait.Due));

        Assert.NotNull(i.When(new CorrelatedEventReceived(Samples.T0.AddDays(3), "PaymentReceived", "inv-8")).Rejection);
        i.When(new CorrelatedEventReceived(Samples.T0.AddDays(3), "PaymentReceived", "inv-7"));
        Assert.Equal(InstanceStatus.Completed, i.State.Status);
        Assert.False(i.Single<WaitEnded>().TimedOut);
    }

    [Fact]
    public void Invoice_WaitTimesOut_OpensTheCollectionsHandoff()
    {
        var i = Invoice(900);
        i.Answer("remind", ("messageId", "m-1"));
        i.Now = Samples.T0.AddDays(14);
        i.Fire("wait:payment");
        Assert.True(i.Single<WaitEnded>().TimedOut);
        Assert.Equal("ar-collections", Assert.Single(i.Effects.OfType<OpenHumanTask>()).Queue);
        i.Decide(TaskOutcome.Approve, "ines", "handed to collections");
        Assert.Equal(InstanceStatus.Completed, i.State.Status);
    }

    [Fact]
    public void Invoice_HighRiskReminder_WaitsForApproval()
    {
        var i = Invoice(25_000);
        Assert.Empty(i.Calls("send-email"));
        Assert.Equal("ar-follow-up", Assert.Single(i.Effects.OfType<OpenHumanTask>()).Queue);
        i.Decide(TaskOutcome.Approve, "ines", "customer was warned by phone");
        Assert.Single(i.Calls("send-email"));
    }

    [Fact]
    public void Invoice_SlaTimers_EscalateInOrderWhileUnpaid()
    {
        var i = Invoice(900);
        i.Answer("remind", ("messageId", "m-1"));
        i.Now = Samples.T0.AddDays(7);
        i.Fire("sla:unpaid-7d");
        i.Now = Samples.T0.AddDays(21);
        i.Fire("sla:unpaid-21d");
        Assert.Equal(["unpaid-7d", "unpaid-21d"], i.Events.OfType<SlaBreached>().Select(b => b.Sla));
        Assert.Contains(i.Effects, e => e is ReassignTask { Queue: "ar-collections" });
        Assert.Contains(i.Effects, e => e is Notify { Target: "finance-controller" });
        Assert.Equal("high", i.State.Priority);
    }

    [Fact]
    public void Invoice_NotYetThirtyDays_StartsNothing()
    {
        var i = Invoice(900, daysOverdue: 29);
        Assert.Equal(InstanceStatus.Ignored, i.State.Status);
    }

    [Fact]
    public void LookupMissingADeclaredField_ParksInTheDataLane()
    {
        var i = new Instance(Samples.Load("support-ticket-routing"));
        i.Trigger(Samples.Fields(("ticketId", "t-1"), ("customerId", "c-1"), ("severity", "normal"), ("email", "x@acme.example")));
        i.Answer("crm", ("segment", "smb"));
        var parked = i.Single<InstanceParked>();
        Assert.Equal((FailureClass.Data, ParkCause.DataFailure), (parked.Lane, parked.Cause));
    }
}
