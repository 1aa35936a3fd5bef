using Coordinator.Contracts;

namespace Coordinator.Workflows.Tests.Engine;

public sealed class RefundTests
{
    private static Instance Started(decimal amount, GuardRails? guards = null, int refundsLast30Days = 0, string reason = "damaged")
    {
        var i = new Instance(Samples.Load("refund-approval"), guards);
        i.Trigger(Samples.Refund(amount, reason));
        i.Answer("customer", ("refundsLast30Days", refundsLast30Days), ("status", "active"));
        return i;
    }

    [Theory]
    [InlineData("50", ApprovalTier.Instant)]
    [InlineData("50.01", ApprovalTier.FastTrack)]
    [InlineData("500", ApprovalTier.FastTrack)]
    [InlineData("500.01", ApprovalTier.FullReview)]
    [InlineData("0.01", ApprovalTier.Instant)]
    public void ApprovalTier_AtEachThreshold_IsInclusive(string amount, ApprovalTier expected)
    {
        var i = Started(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, i.Single<ApprovalTiered>().Tier);
    }

    [Fact]
    public void InstantTier_Refund_CallsPaymentsWithTheInstanceStepKey()
    {
        var i = Started(40);
        var call = Assert.Single(i.Calls("refund"));
        Assert.Equal("r-1/refund", call.Key);
        Assert.Equal(40m, call.Input["amount"]);
        Assert.Equal(ApprovalBy.Instant, i.Single<Approved>().By);
    }

    [Fact]
    public void FastTrack_WindowExpiresWithoutObjection_ApprovesAndRefunds()
    {
        var i = Started(320);
        Assert.Empty(i.Calls("refund"));
        Assert.Contains(i.Effects, e => e is Notify { Target: "finance-lead" });
        var timer = Assert.Single(i.Effects.OfType<ScheduleTimer>(), t => t.TimerId == "r-1/fast-track");
        Assert.Equal(Samples.T0.AddMinutes(30), timer.Due);

        i.Now = timer.Due;
        i.Fire("fast-track");
        Assert.Equal(ApprovalBy.FastTrack, i.Single<Approved>().By);
        Assert.Single(i.Calls("refund"));
    }

    [Fact]
    public void FastTrack_Objection_OpensFullReviewAndTheTimerNoLongerApproves()
    {
        var i = Started(320);
        i.When(new FastTrackObjected(Samples.T0.AddMinutes(10), "lee", "customer already got a voucher"));
        var task = Assert.Single(i.Effects.OfType<OpenHumanTask>());
        Assert.Equal("finance-approvals", task.Queue);
        Assert.Contains(i.Effects, e => e is CancelTimer { TimerId: "r-1/fast-track" });

        var late = i.Fire("fast-track");
        Assert.NotNull(late.Rejection);
        Assert.Empty(i.Calls("refund"));

        i.Decide(TaskOutcome.Reject, "lee", "duplicate compensation");
        Assert.Equal(InstanceStatus.Rejected, i.State.Status);
        Assert.Empty(i.Calls("refund"));
    }

    [Fact]
    public void FullReview_HumanApproves_RefundRecordsTheApprover()
    {
        var i = Started(800);
        var task = Assert.Single(i.Effects.OfType<OpenHumanTask>());
        Assert.Equal(Samples.T0.AddDays(1), task.SlaDue);
        Assert.Contains("record.amount", task.Shown.Keys);
        i.Decide(TaskOutcome.Approve, "maria", "receipt checked");
        Assert.Single(i.Calls("refund"));
        var approved = i.Single<Approved>();
        Assert.Equal(("maria", ApprovalBy.Human), (approved.Audit.Who, approved.By));
    }

    [Fact]
    public void HumanTask_WithoutRationale_IsRefused()
    {
        var i = Started(800);
        var d = i.Decide(TaskOutcome.Approve, "maria", "");
        Assert.Contains("needs a rationale", d.Rejection, StringComparison.Ordinal);
        Assert.Empty(i.Calls("refund"));
    }

    [Fact]
    public void HumanTask_OutcomeNotAllowed_IsRefused()
    {
        var i = Started(800);
        var d = i.Decide(TaskOutcome.Override, "maria", "different amount", "700");
        Assert.Contains("allows approve, reject", d.Rejection, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule_FirstMatchWins_RecordsRuleIdConditionAndRulesTried()
    {
        var i = Started(40, reason: "chargeback", refundsLast30Days: 5);
        var decided = i.Single<RuleDecided>();
        Assert.Equal("chargeback-open", decided.RuleId);
        Assert.Contains("[record.reason] == 'chargeback'", decided.Audit.Why, StringComparison.Ordinal);
        Assert.Equal("chargeback", decided.Audit.Evidence["record.reason"]);
        Assert.Equal("matched", decided.Audit.Evidence["rule.chargeback-open"]);
        Assert.False(decided.Audit.Evidence.ContainsKey("rule.frequent-refunder"));
        Assert.Equal(InstanceStatus.Rejected, i.State.Status);
        Assert.Empty(i.Calls("refund"));
    }

    [Fact]
    public void Rule_Review_OpensTheReviewTaskEvenForASmallAmount()
    {
        var i = Started(10, refundsLast30Days: 3);
        Assert.Equal("frequent-refunder", i.Single<RuleDecided>().RuleId);
        Assert.Single(i.Effects.OfType<OpenHumanTask>());
        Assert.Empty(i.Calls("refund"));
    }

    [Fact]
    public void Verification_Mismatch_ParksInTheDataLane()
    {
        var i = Started(40);
        i.Answer("refund", ("refundId", "p-9"));
        Assert.Equal("r-1/refund.verify", Assert.Single(i.Calls("get-refund")).Key);
        i.Answer("refund.verify", ("status", "pending"), ("amount", 40m));
        var parked = i.Single<InstanceParked>();
        Assert.Equal((FailureClass.Data, ParkCause.VerificationMismatch), (parked.Lane, parked.Cause));
        Assert.Equal("pending", parked.Audit.Evidence["readback.status"]);
        Assert.Single(i.Events.OfType<VerificationMismatched>());
        Assert.Contains(i.Effects, e => e is ParkInstance { Lane: FailureClass.Data });
    }

    [Fact]
    public void Verification_Match_Completes()
    {
        var i = Started(40);
        i.Answer("refund", ("refundId", "p-9"));
        i.Answer("refund.verify", ("status", "settled"), ("amount", 40m));
        Assert.True(i.Single<StepSucceeded>().Verified);
        Assert.Equal(InstanceStatus.Completed, i.State.Status);
        Assert.Contains(i.Effects, e => e is CompleteInstance);
    }

    [Fact]
    public void ConnectorDataFailure_ParksAndAnOperatorRetryUsesANewKey()
    {
        var i = Started(40);
        i.Fail("refund", FailureClass.Data, "IBAN rejected");
        Assert.Equal(ParkCause.DataFailure, i.Single<InstanceParked>().Cause);
        i.When(new OperatorCommanded(Samples.T0, "sam", OperatorCommand.Resume, "IBAN fixed in the CRM"));
        Assert.Equal(["r-1/refund", "r-1/refund#1"], i.Calls("refund").Select(c => c.Key));
        Assert.Equal("sam", i.Single<InstanceResumed>().Audit.Who);
    }

    [Fact]
    public void RepeatedTriggerAndLateOutcome_ChangeNothing()
    {
        var i = Started(40);
        var count = i.Events.Count;
        Assert.NotNull(i.Trigger(Samples.Refund(40)).Rejection);
        Assert.NotNull(i.Answer("customer", ("refundsLast30Days", 0), ("status", "active")).Rejection);
        Assert.Equal(count, i.Events.Count);
    }

    [Fact]
    public void MalformedRecord_IsRefusedToTheDataLane()
    {
        var i = new Instance(Samples.Load("refund-approval"));
        i.Trigger(Samples.Refund(40).SetItem("amount", "forty"));
        Assert.True(i.Single<TriggerIgnored>().Malformed);
        Assert.Contains(i.Effects, e => e is ParkInstance { Lane: FailureClass.Data });
        Assert.Empty(i.Calls("get-customer"));
    }

    [Fact]
    public void StartCondition_False_StartsNothing()
    {
        var i = new Instance(Samples.Load("refund-approval"));
        i.Trigger(Samples.Refund(0));
        Assert.Equal(InstanceStatus.Ignored, i.State.Status);
        Assert.Contains("start-when", i.Single<TriggerIgnored>().Audit.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeGuard_AmountAboveAStricterThreshold_ParksDespiteTheInstantTier()
    {
        var strict = GuardRails.Default with { FinancialApprovalAbove = 30 };
        var i = Started(45, strict);
        Assert.Equal(ApprovalTier.Instant, i.Single<ApprovalTiered>().Tier);
        var parked = i.Single<InstanceParked>();
        Assert.Equal((GuardRails.Financial, ParkCause.Guard), (parked.Guard, parked.Cause));
        Assert.Empty(i.Calls("refund"));

        i.When(new OperatorCommanded(Samples.T0, "sam", OperatorCommand.Resume, "checked the receipt"));
        Assert.Single(i.Calls("refund"));
        Assert.Equal("sam", i.State.Approver);
    }

    [Fact]
    public void RuntimeGuard_FastTrackAboveAStricterThreshold_ParksWhenTheWindowCloses()
    {
        var i = Started(320, GuardRails.Default with { FinancialApprovalAbove = 300 });
        i.Fire("fast-track");
        Assert.Equal(GuardRails.Financial, i.Single<InstanceParked>().Guard);
        Assert.Empty(i.Calls("refund"));
    }

    [Fact]
    public void RuntimeGuard_AmountExactlyAtThreshold_Acts()
    {
        var i = Started(30, GuardRails.Default with { FinancialApprovalAbove = 30 });
        Assert.Single(i.Calls("refund"));
    }
}
