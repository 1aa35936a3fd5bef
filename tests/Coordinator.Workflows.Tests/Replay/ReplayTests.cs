using Coordinator.Workflows.Replay;

namespace Coordinator.Workflows.Tests.Replay;

/// <summary>
/// Golden histories in Replay/Goldens are replayed through the current engine and definitions;
/// any changed decision fails. After an intended change, re-record them with
/// COORDINATOR_UPDATE_GOLDENS=1 and review the diff.
/// </summary>
public sealed class ReplayTests
{
    private static readonly string GoldenFolder = Path.Combine(Samples.RepoRoot, "tests", "Coordinator.Workflows.Tests", "Replay", "Goldens");

    private static DefinitionStore Store => DefinitionStore.Of(new[] { "lead-routing", "refund-approval", "support-ticket-routing", "invoice-ageing" }.Select(n => Samples.Load(n)));

    /// <summary>The recorded scenarios: name, workflow and the inputs.</summary>
    public static TheoryData<string> Scenarios => [.. Histories().Select(h => h.Name)];

    private static IEnumerable<(string Name, string Workflow, WorkflowInput[] Inputs)> Histories()
    {
        var t = Samples.T0;
        static ConnectorOutcome Ok(DateTimeOffset at, string key, params (string, object?)[] output) => new(at, key, true, Samples.Fields(output));
        yield return ("refund-instant", "refund-approval", [new TriggerReceived(t, Samples.Refund(40)), Ok(t, "r-1/customer", ("refundsLast30Days", 0m), ("status", "active")), Ok(t, "r-1/refund", ("refundId", "p-1")), Ok(t, "r-1/refund.verify", ("status", "settled"), ("amount", 40m))]);
        yield return ("refund-fast-track", "refund-approval", [new TriggerReceived(t, Samples.Refund(320)), Ok(t, "r-1/customer", ("refundsLast30Days", 1m), ("status", "active")), new TimerFired(t.AddMinutes(30), "r-1/fast-track"), Ok(t.AddMinutes(31), "r-1/refund", ("refundId", "p-1")), Ok(t.AddMinutes(32), "r-1/refund.verify", ("status", "pending"), ("amount", 320m))]);
        yield return ("refund-full-review", "refund-approval", [new TriggerReceived(t, Samples.Refund(800)), Ok(t, "r-1/customer", ("refundsLast30Days", 0m), ("status", "active")), new HumanTaskDecided(t.AddHours(2), "r-1/refund-review#1", "maria", TaskOutcome.Approve, "receipt checked")]);
        yield return ("refund-guard-parked", "refund-approval", [new TriggerReceived(t, Samples.Refund(45)), Ok(t, "r-1/customer", ("refundsLast30Days", 0m), ("status", "active")), new OperatorCommanded(t.AddHours(1), "sam", OperatorCommand.Resume, "receipt checked")]);
        yield return ("lead-medium", "lead-routing", [new TriggerReceived(t, Samples.Lead(0.7m)), new HumanTaskDecided(t.AddMinutes(5), "l-1/confirm-owner#1", "kim", TaskOutcome.Override, "ana is on leave", "ben"), Ok(t.AddMinutes(6), "l-1/assign", ("ok", true)), Ok(t.AddMinutes(6), "l-1/assign.verify", ("owner", "ben"))]);
        yield return ("ticket-mismatch", "support-ticket-routing", [new TriggerReceived(t, Samples.Fields(("ticketId", "t-1"), ("customerId", "c-1"), ("severity", "normal"), ("email", "x@acme.example"))), Ok(t, "t-1/crm", ("tier", "enterprise")), Ok(t, "t-1/billing", ("tier", "standard")), new HumanTaskDecided(t.AddHours(1), "t-1/tier-review#1", "jo", TaskOutcome.Approve, "crm is right")]);
        yield return ("invoice-timeout", "invoice-ageing", [new TriggerReceived(t, Samples.Fields(("invoiceId", "inv-7"), ("customerId", "c-1"), ("customerEmail", "ap@acme.example"), ("daysOverdue", 31m), ("amountDue", 900m))), Ok(t, "inv-7/remind", ("messageId", "m-1")), new TimerFired(t.AddDays(7), "inv-7/sla:unpaid-7d"), new TimerFired(t.AddDays(14), "inv-7/wait:payment")]);
    }

    /// <summary>The guard rails a scenario ran under: the parked refund ran after the organisation lowered the financial guard to 30.</summary>
    private static GuardRails GuardsFor(string name) => name == "refund-guard-parked" ? GuardRails.Default with { FinancialApprovalAbove = 30 } : GuardRails.Default;

    private static string GoldenPath(string name) => Path.Combine(GoldenFolder, $"{name}.json");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Golden_ReplayedThroughTheCurrentEngine_DecidesTheSame(string name)
    {
        var (_, workflow, inputs) = Histories().Single(h => h.Name == name);
        if (Environment.GetEnvironmentVariable("COORDINATOR_UPDATE_GOLDENS") == "1")
        {
            Directory.CreateDirectory(GoldenFolder);
            File.WriteAllText(GoldenPath(name), Replayer.Write(Replayer.Record(Store.Latest(workflow)!, GuardsFor(name), inputs)) + "\n");
        }

        Assert.True(File.Exists(GoldenPath(name)), $"the golden {GoldenPath(name)} is missing; record it with COORDINATOR_UPDATE_GOLDENS=1");
        var history = Replayer.Read(File.ReadAllText(GoldenPath(name)));
        var problems = Replayer.Check(Store, history);
        Assert.True(problems.IsEmpty, string.Join("\n", problems));
    }

    [Fact]
    public void Goldens_EveryOneOnDisk_IsAScenario()
    {
        var onDisk = Directory.EnumerateFiles(GoldenFolder, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(Histories().Select(h => h.Name).Order(StringComparer.Ordinal), onDisk);
    }

    [Fact]
    public void Replay_AfterADecisionChangingEdit_ReportsTheChangedDecision()
    {
        var history = Replayer.Read(File.ReadAllText(GoldenPath("refund-fast-track")));
        var edited = Samples.LoadText(Samples.Text("refund-approval").Replace("up-to: 500 ", "up-to: 300 ", StringComparison.Ordinal)).Definitions[0];
        var problems = Replayer.Check(DefinitionStore.Of([edited]), history);
        Assert.NotEmpty(problems);
        Assert.StartsWith("decision 1 ", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_VersionNoLongerStored_IsReported()
    {
        var history = Replayer.Read(File.ReadAllText(GoldenPath("refund-instant")));
        var problems = Replayer.Check(DefinitionStore.Empty, history);
        Assert.Contains("refund-approval version 2 is not stored", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_EveryEventInEveryGolden_HasWhoWhatAndWhy()
    {
        var count = 0;
        foreach (var (name, workflow, inputs) in Histories())
        {
            var i = new Instance(Store.Latest(workflow)!, GuardsFor(name));
            foreach (var input in inputs)
            {
                Assert.Null(i.When(input).Rejection);
            }

            foreach (var e in i.Events)
            {
                count++;
                Assert.True(e.Audit.IsComplete, $"{name}: {e.GetType().Name} lacks who, what or why: {e.Audit}");
            }

            foreach (var e in i.Events.OfType<HumanTaskClosed>())
            {
                Assert.NotEqual(Audit.System, e.Audit.Who);
            }

            foreach (var e in i.Events.OfType<RuleDecided>())
            {
                Assert.Contains(e.Audit.Evidence.Keys, k => k.StartsWith("rule.", StringComparison.Ordinal) || e.RuleId is null);
            }
        }

        Assert.True(count > 40, $"only {count} events were checked");
    }
}
