using System.Text.Json;
using Coordinator.Workflows.Replay;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Coordinator.Workflows.Tests.Engine;

/// <summary>Generated inputs: decisions are deterministic, and nothing acts past a guard without a human.</summary>
public sealed class PropertyTests
{
    private static readonly WorkflowDefinition Refund = Samples.Load("refund-approval");
    private static readonly WorkflowDefinition Leads = Samples.Load("lead-routing");
    private static readonly WorkflowDefinition Invoices = Samples.Load("invoice-ageing");

    private static decimal Money(int cents) => Math.Abs(cents % 300_000) / 100m;

    private static decimal Fraction(int n) => Math.Abs(n % 10_001) / 10_000m;

    private static GuardRails Guards(int financial, int confidence, int risk)
        => new(Money(financial), Fraction(confidence), Fraction(risk));

    /// <summary>Drives an instance with every input that could make it act, none of them human.</summary>
    private static Instance RunWithoutHumans(WorkflowDefinition d, GuardRails g, System.Collections.Immutable.ImmutableSortedDictionary<string, object?> record, int refunds)
    {
        var i = new Instance(d, g);
        i.Trigger(record);
        if (i.State.PendingLookups.Contains("customer"))
        {
            i.Answer("customer", ("refundsLast30Days", refunds % 5), ("status", "active"));
        }

        if (i.State.FastTrackTimer is { } ft)
        {
            i.When(new TimerFired(Samples.T0.AddMinutes(30), ft));
        }

        foreach (var sla in d.Sla)
        {
            i.Fire($"sla:{sla.Id}");
        }

        return i;
    }

    [Property(MaxTest = 300)]
    public bool Refund_NoGeneratedInput_MovesMoneyAboveTheGuardWithoutAHuman(int cents, int financial, int refunds, bool chargeback)
    {
        var g = Guards(financial, 8000, 5000);
        var amount = Money(cents) + 0.01m;
        var i = RunWithoutHumans(Refund, g, Samples.Refund(amount, chargeback ? "chargeback" : "damaged"), refunds);
        return i.Calls("refund").All(c => (decimal)c.Input["amount"]! <= g.FinancialApprovalAbove);
    }

    [Property(MaxTest = 300)]
    public bool Leads_NoGeneratedInput_ActsAutomaticallyBelowTheConfidenceGuard(int score, int minimum, int employees)
    {
        var g = Guards(100_000, minimum, 5000);
        var s = Fraction(score);
        var i = RunWithoutHumans(Leads, g, Samples.Lead(s, Math.Abs(employees % 5000)), 0);
        return !i.Calls("assign-lead").Any() || s >= g.MinAutoConfidence;
    }

    [Property(MaxTest = 300)]
    public bool Invoices_NoGeneratedInput_SendsAMessageAboveTheRiskGuardWithoutApproval(int cents, int risk, int days)
    {
        var g = Guards(100_000, 8000, risk);
        var amount = Money(cents) * 100;
        var i = RunWithoutHumans(Invoices, g, Samples.Fields(("invoiceId", "inv-1"), ("customerId", "c"), ("customerEmail", "e"), ("daysOverdue", (decimal)(30 + Math.Abs(days % 60))), ("amountDue", amount)), 0);
        var messageRisk = amount > 10_000 ? 0.7m : 0.2m;
        return !i.Calls("send-email").Any() || messageRisk <= g.MessageApprovalAboveRisk;
    }

    [Property(MaxTest = 200)]
    public Property Decisions_AreDeterministic()
        => Prop.ForAll(
            Gen.Choose(1, 200_000).ToArbitrary(),
            Gen.Choose(0, 10_000).ToArbitrary(),
            Gen.Elements("damaged", "chargeback", "late").ToArbitrary(),
            (cents, score, reason) =>
            {
                string Run()
                {
                    var i = RunWithoutHumans(Refund, GuardRails.Default, Samples.Refund(cents / 100m, reason), score);
                    var j = RunWithoutHumans(Leads, GuardRails.Default, Samples.Lead(score / 10_000m), 0);
                    return JsonSerializer.Serialize(new { a = i.Events, b = i.Effects, c = j.Events, d = j.Effects }, WorkflowJson.Options);
                }

                return Run() == Run();
            });

    [Property(MaxTest = 200)]
    public bool Replaying_AnyInstancesEvents_RebuildsItsState(int cents, int refunds)
    {
        var i = RunWithoutHumans(Refund, GuardRails.Default, Samples.Refund(Money(cents) + 1), refunds);
        return JsonSerializer.Serialize(WorkflowEngine.ApplyAll(InstanceState.Initial, i.Events), WorkflowJson.Options) == JsonSerializer.Serialize(i.State, WorkflowJson.Options);
    }
}
