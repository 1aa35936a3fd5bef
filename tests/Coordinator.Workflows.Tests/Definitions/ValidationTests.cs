namespace Coordinator.Workflows.Tests.Definitions;

public sealed class ValidationTests
{
    private static readonly string Refund = Samples.Text("refund-approval");

    /// <summary>The 1-based line and column where <paramref name="marker"/> starts in <paramref name="text"/>.</summary>
    private static (int Line, int Column) Position(string text, string marker, int occurrence = 1)
    {
        var index = -1;
        for (var i = 0; i < occurrence; i++)
        {
            index = text.IndexOf(marker, index + 1, StringComparison.Ordinal);
            Assert.True(index >= 0, $"marker {marker} not found");
        }

        var before = text[..index];
        var line = before.Count(c => c == '\n') + 1;
        var column = index - (before.LastIndexOf('\n') + 1) + 1;
        return (line, column);
    }

    private static ValidationError Only(string text, GuardRails? guards = null)
    {
        var result = Samples.LoadText(text, guards, "workflows/refund.yaml");
        return Assert.Single(result.Errors);
    }

    private static void AssertAt(ValidationError error, string text, string marker, string path, string problem, int occurrence = 1)
    {
        var (line, column) = Position(text, marker, occurrence);
        Assert.Equal(path, error.Path);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.False(string.IsNullOrWhiteSpace(error.Fix));
    }

    [Fact]
    public void Samples_AsShipped_AreValid()
    {
        foreach (var name in new[] { "lead-routing", "refund-approval", "support-ticket-routing", "invoice-ageing" })
        {
            Assert.NotNull(Samples.Load(name));
        }
    }

    [Fact]
    public void Duration_Misspelt_ReportsValuePositionAndFix()
    {
        var text = Refund.Replace("window: 30m", "window: 30 minuts", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "30 minuts", "decide.approval.fast-track.window", "\"30 minuts\" is not a duration");
        Assert.Equal("write 30m", error.Fix);
        Assert.Equal($"workflows/refund.yaml:{error.Line}:{error.Column}: decide.approval.fast-track.window: \"30 minuts\" is not a duration; write 30m", error.ToString());
    }

    [Fact]
    public void UnknownField_ReportsTheKeyAndSuggestsTheNearestName()
    {
        var text = Refund.Replace("    window: 30m", "    windw: 30m", StringComparison.Ordinal);
        var errors = Samples.LoadText(text).Errors;
        var error = Assert.Single(errors, e => e.Problem.StartsWith("unknown field", StringComparison.Ordinal));
        AssertAt(error, text, "windw", "decide.approval.fast-track.windw", "unknown field 'windw'");
        Assert.Contains("'window'", error.Fix, StringComparison.Ordinal);
        Assert.Contains(errors, e => e.Path == "decide.approval.fast-track.window" && e.Problem.Contains("required", StringComparison.Ordinal));
    }

    [Fact]
    public void Expression_UnknownVariable_IsALoadErrorAtTheExpression()
    {
        var text = Refund.Replace("[customer.refundsLast30Days] >= 3", "[custmer.refundsLast30Days] >= 3", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "\"[custmer", "decide.rules[1].when", "unknown variable [custmer.refundsLast30Days]");
        Assert.Contains("[customer.refundsLast30Days]", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Expression_UnknownFunction_IsALoadError()
    {
        var text = Refund.Replace("\"[record.reason] == 'chargeback'\"", "\"Lower([record.reason]) == 'chargeback'\"", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "\"Lower(", "decide.rules[0].when", "unknown function Lower()");
    }

    [Fact]
    public void Expression_TypeError_IsALoadError()
    {
        var text = Refund.Replace("\"[record.amount] > 0\"", "\"[record.amount] > 'zero'\"", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "\"[record.amount] > 'zero'\"", "trigger.start-when", "compare numbers");
    }

    [Fact]
    public void Expression_NotACondition_IsALoadError()
    {
        var text = Refund.Replace("\"[record.reason] == 'chargeback'\"", "\"[record.amount] + 1\"", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "\"[record.amount] + 1\"", "decide.rules[0].when", "is a number, but a condition (true/false) is needed");
    }

    [Fact]
    public void Expression_ThatDoesNotParse_IsALoadError()
    {
        var text = Refund.Replace("\"[record.reason] == 'chargeback'\"", "\"[record.reason] == \"", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "\"[record.reason] == \"", "decide.rules[0].when", "does not parse");
    }

    [Fact]
    public void DuplicateRuleId_ReportsTheSecond()
    {
        var text = Refund.Replace("id: frequent-refunder", "id: chargeback-open", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "chargeback-open", "decide.rules[1].id", "the rule id \"chargeback-open\" is used twice", occurrence: 2);
    }

    [Fact]
    public void DuplicateTaskId_ReportsTheSecondKeyWithItsPath()
    {
        var text = Refund.Replace("\n  refund-review:\n", "\n  refund-review:\n    queue: finance-approvals\n  refund-review:\n", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "refund-review:\n", "tasks.refund-review", "'refund-review' appears twice here", occurrence: 2);
    }

    [Fact]
    public void DuplicateFieldName_InASequenceItem_ReportsItsPath()
    {
        var text = Refund.Replace("      operation: get-customer\n", "      operation: get-customer\n      operation: get-account\n", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "operation: get-account", "understand.lookups[0].operation", "'operation' appears twice");
    }

    [Fact]
    public void DanglingTaskReference_ReportsTheReference()
    {
        var text = Refund.Replace("      review: refund-review", "      review: refund-reviw", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "refund-reviw", "tasks", "the task \"refund-reviw\" is not defined");
        Assert.Contains("refund-review", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownConnector_ReportsItAgainstTheCatalogue()
    {
        var text = Refund.Replace("connector: crm", "connector: salesforce", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "salesforce", "understand.lookups[0].connector", "there is no connector \"salesforce\"");
        Assert.Contains("crm", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOperation_ReportsItWithTheConnectorsOperations()
    {
        var text = Refund.Replace("operation: get-refund", "operation: get-refnd", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "get-refnd", "act[0].verify.operation", "connector \"payments\" has no operation \"get-refnd\"");
        Assert.Equal("use one of get-refund, refund", error.Fix);
    }

    [Fact]
    public void UnknownQueue_ReportsItAgainstTheCatalogue()
    {
        var text = Refund.Replace("queue: finance-approvals", "queue: finance-approval", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "finance-approval\n", "tasks.refund-review.queue", "there is no queue \"finance-approval\"");
    }

    [Fact]
    public void MissingMetadata_ReportsTheRequiredField()
    {
        var text = Refund.Replace("owner: payments-operations\n", "", StringComparison.Ordinal);
        var error = Only(text);
        Assert.Equal("owner", error.Path);
        Assert.Equal(Position(text, "name:"), (error.Line, error.Column));
        Assert.Contains("'owner' is required", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void YamlSyntaxError_ReportsItsPosition()
    {
        var text = Refund.Replace("  topic: refunds.requested", "  topic: \"refunds.requested\n  event: [x", StringComparison.Ordinal);
        var error = Only(text);
        Assert.Contains("does not parse", error.Problem, StringComparison.Ordinal);
        Assert.True(error.Line >= Position(text, "\"refunds").Line, error.ToString());
    }

    [Fact]
    public void EveryError_InAFile_IsReportedAtOnce()
    {
        var text = Refund
            .Replace("window: 30m", "window: 30 minuts", StringComparison.Ordinal)
            .Replace("operation: get-refund", "operation: get-refnd", StringComparison.Ordinal)
            .Replace("queue: finance-approvals", "queue: nowhere", StringComparison.Ordinal);
        var errors = Samples.LoadText(text).Errors;
        Assert.Equal(3, errors.Length);
        Assert.Equal(errors.OrderBy(e => e.Line), errors);
    }

    [Fact]
    public void SameNameAndVersion_InTwoFiles_IsAnError()
    {
        var result = WorkflowLoader.Load([("a/refund.yaml", Refund), ("b/refund-copy.yaml", Refund)], Samples.Catalog, GuardRails.Default);
        var error = Assert.Single(result.Errors);
        Assert.Equal("b/refund-copy.yaml", error.File);
        Assert.Equal("name", error.Path);
        Assert.Contains("also defined in a/refund.yaml", error.Problem, StringComparison.Ordinal);
        Assert.Single(result.Definitions);
    }

    [Fact]
    public void Guard_InstantTierAboveFinancialThreshold_FailsNamingTheGuard()
    {
        var text = Refund.Replace("up-to: 50 ", "up-to: 1500 ", StringComparison.Ordinal).Replace("up-to: 500 ", "up-to: 2000 ", StringComparison.Ordinal);
        var errors = Samples.LoadText(text).Errors;
        var instant = Assert.Single(errors, e => e.Path == "decide.approval.instant.up-to");
        Assert.Contains("FinancialApprovalAbove (1000)", instant.Problem, StringComparison.Ordinal);
        AssertAt(instant, text, "1500", "decide.approval.instant.up-to", "bypasses the guard");
    }

    [Fact]
    public void Guard_FastTrackAboveFinancialThreshold_FailsNamingTheGuard()
    {
        var text = Refund.Replace("up-to: 500 ", "up-to: 1000.01 ", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "1000.01", "decide.approval.fast-track.up-to", "bypasses the guard FinancialApprovalAbove");
    }

    [Fact]
    public void Guard_FastTrackExactlyAtFinancialThreshold_IsAllowed()
    {
        var text = Refund.Replace("up-to: 500 ", "up-to: 1000 ", StringComparison.Ordinal);
        Assert.True(Samples.LoadText(text).IsValid);
    }

    [Fact]
    public void Guard_FinancialActWithNoApprovalTiers_FailsNamingTheGuard()
    {
        var start = Refund.IndexOf("  approval:\n", StringComparison.Ordinal);
        var end = Refund.IndexOf("\nact:", StringComparison.Ordinal);
        var text = Refund[..start] + Refund[end..];
        var error = Only(text);
        AssertAt(error, text, "financial\n", "act[0].effect.kind", "FinancialApprovalAbove");
    }

    [Fact]
    public void Guard_HighConfidenceBelowMinimum_FailsNamingTheGuard()
    {
        var text = Samples.Text("lead-routing").Replace("high: 0.9 ", "high: 0.79 ", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "0.79", "decide.confidence.high", "below the guard MinAutoConfidence (0.8)");
    }

    [Fact]
    public void Guard_HighConfidenceExactlyAtMinimum_IsAllowed()
        => Assert.True(Samples.LoadText(Samples.Text("lead-routing").Replace("high: 0.9 ", "high: 0.8 ", StringComparison.Ordinal)).IsValid);

    [Fact]
    public void Guard_RiskyMessageWithNoApprovalPath_FailsNamingTheGuard()
    {
        var text = Samples.Text("invoice-ageing").Replace("      approval: reminder-approval\n", "", StringComparison.Ordinal)
            .Replace("  reminder-approval:\n    queue: ar-follow-up\n    sla: 1d\n    show: [record.invoiceId, record.amountDue, record.daysOverdue]\n    outcomes: [approve, reject]\n", "", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "\"if(", "act[0].effect.risk", "has no approval path");
        Assert.Contains("MessageApprovalAboveRisk", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Guard_MessageWithFixedRiskAboveThreshold_FailsNamingTheGuard()
    {
        var text = Samples.Text("support-ticket-routing").Replace("risk: 0.1 ", "risk: 0.6 ", StringComparison.Ordinal);
        var error = Only(text);
        AssertAt(error, text, "0.6", "act[1].effect.risk", "the risk 0.6 is above the guard MessageApprovalAboveRisk (0.5)");
    }

    [Fact]
    public void Guard_Options_OutOfRange_NameTheSettingAndTheFix()
    {
        var options = new GuardOptions { MinAutoConfidence = 1.5m, FinancialApprovalAbove = -1 };
        var errors = options.Validate();
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Coordinator:Guards:MinAutoConfidence is 1.5; set it between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Coordinator:Guards:FinancialApprovalAbove is -1;", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(options.ToGuardRails);
    }

    [Fact]
    public void DefinitionStore_SameVersionTwice_IsRefused()
    {
        var a = Samples.LoadText(Refund).Definitions[0];
        var b = Samples.LoadText(Refund).Definitions[0];
        var store = DefinitionStore.Empty.Add(a);
        Assert.Throws<InvalidOperationException>(() => store.Add(b));
    }
}
