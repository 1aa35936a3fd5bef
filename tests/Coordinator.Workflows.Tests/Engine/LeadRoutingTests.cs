namespace Coordinator.Workflows.Tests.Engine;

public sealed class LeadRoutingTests
{
    private static Instance Started(decimal score, GuardRails? guards = null, decimal employees = 50, string email = "buyer@acme.example")
    {
        var i = new Instance(Samples.Load("lead-routing"), guards);
        i.Trigger(Samples.Lead(score, employees, email: email));
        return i;
    }

    [Theory]
    [InlineData("0.9", ConfidenceTier.High)]
    [InlineData("0.8999", ConfidenceTier.Medium)]
    [InlineData("0.6", ConfidenceTier.Medium)]
    [InlineData("0.5999", ConfidenceTier.Low)]
    [InlineData("1", ConfidenceTier.High)]
    [InlineData("0", ConfidenceTier.Low)]
    public void ConfidenceTier_AtEachBoundary_IsInclusive(string score, ConfidenceTier expected)
    {
        var i = Started(decimal.Parse(score, System.Globalization.CultureInfo.InvariantCulture));
        var tiered = i.Single<ConfidenceTiered>();
        Assert.Equal(expected, tiered.Tier);
        Assert.Equal("0.9", tiered.Audit.Evidence["confidence.high"]);
        Assert.Equal("0.6", tiered.Audit.Evidence["confidence.medium"]);
        Assert.Equal(score, tiered.Audit.Evidence["record.score"]);
    }

    [Fact]
    public void HighConfidence_AssignsAutomaticallyToTheSuggestion()
    {
        var i = Started(0.9m);
        var call = Assert.Single(i.Calls("assign-lead"));
        Assert.Equal(("ana", "commercial"), (call.Input["owner"], call.Input["segment"]));
        Assert.Empty(i.Effects.OfType<OpenHumanTask>());
    }

    [Fact]
    public void MediumConfidence_SuggestsToAHumanWithScoreAndSuggestion()
    {
        var i = Started(0.6m, employees: 5000);
        var task = Assert.Single(i.Effects.OfType<OpenHumanTask>());
        Assert.Equal("sales-triage", task.Queue);
        Assert.Contains("ana", task.Subject, StringComparison.Ordinal);
        Assert.Contains("0.6", task.Subject, StringComparison.Ordinal);
        Assert.Equal("enterprise", task.Shown["decision.segment"]);
        Assert.Empty(i.Calls("assign-lead"));

        i.Decide(TaskOutcome.Override, "kim", "ana is on leave", "ben");
        Assert.Equal("ben", Assert.Single(i.Calls("assign-lead")).Input["owner"]);
    }

    [Fact]
    public void LowConfidence_GoesToTheManualQueueWithoutASuggestion()
    {
        var i = Started(0.2m);
        var task = Assert.Single(i.Effects.OfType<OpenHumanTask>());
        Assert.Equal("sales-manual", task.Queue);
        Assert.DoesNotContain("ana", task.Subject, StringComparison.Ordinal);
        Assert.Null(i.Single<HumanTaskOpened>().Suggestion);
        Assert.Empty(i.Calls("assign-lead"));
    }

    [Fact]
    public void RuntimeGuard_HighTierBelowAStricterMinimum_ParksInsteadOfActing()
    {
        var i = Started(0.92m, GuardRails.Default with { MinAutoConfidence = 0.95m });
        Assert.Equal(ConfidenceTier.High, i.Single<ConfidenceTiered>().Tier);
        var parked = i.Single<InstanceParked>();
        Assert.Equal(GuardRails.Confidence, parked.Guard);
        Assert.Equal("0.95", parked.Audit.Evidence["guard.MinAutoConfidence"]);
        Assert.Empty(i.Calls("assign-lead"));
    }

    [Fact]
    public void SlaTimer_FiresWhileOpen_NotifiesAndRaisesPriority()
    {
        var i = Started(0.2m);
        Assert.Contains(i.Effects, e => e is ScheduleTimer { TimerId: "l-1/sla:unassigned-2h" } t && t.Due == Samples.T0.AddHours(2));
        i.Now = Samples.T0.AddHours(2);
        i.Fire("sla:unassigned-2h");
        var breached = i.Single<SlaBreached>();
        Assert.Equal("unassigned-2h", breached.Sla);
        Assert.Contains(i.Effects, e => e is Notify { Target: "sales-ops-lead" });
        Assert.Contains(i.Effects, e => e is RaisePriority { Priority: "high" });
        Assert.Equal("high", i.State.Priority);
    }

    [Fact]
    public void SlaTimer_AfterCompletion_ChangesNothing()
    {
        var i = Started(0.95m);
        i.Answer("assign", ("ok", true));
        i.Answer("assign.verify", ("owner", "ana"));
        Assert.Equal(InstanceStatus.Completed, i.State.Status);
        Assert.Contains(i.Effects, e => e is CancelTimer { TimerId: "l-1/sla:unassigned-2h" });
        Assert.NotNull(i.Fire("sla:unassigned-2h").Rejection);
        Assert.Empty(i.Events.OfType<SlaBreached>());
    }

    [Fact]
    public void TaskSla_Breached_NotifiesTheQueue()
    {
        var i = Started(0.7m);
        var task = i.State.Task!;
        i.When(new TimerFired(Samples.T0.AddMinutes(30), task.SlaTimer));
        Assert.Contains(i.Effects, e => e is Notify { Target: "sales-triage" });
        Assert.Equal($"task:{task.TaskId}", i.Single<SlaBreached>().Sla);
    }

    [Fact]
    public void CompetitorRule_Rejects()
    {
        var i = Started(0.99m, email: "spy@competitor.example");
        Assert.Equal("competitor", i.Single<RuleDecided>().RuleId);
        Assert.Equal(InstanceStatus.Rejected, i.State.Status);
    }
}
