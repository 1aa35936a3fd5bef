using System.Text.RegularExpressions;
using Coordinator.Cli;

namespace Coordinator.Workflows.Tests.Cli;

public sealed partial class CliTests : IDisposable
{
    private readonly string _broken = Directory.CreateTempSubdirectory("workflows-broken-").FullName;

    public void Dispose() => Directory.Delete(_broken, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CoordinatorCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [GeneratedRegex(@"^(?<file>[^:]+):(?<line>\d+):(?<column>\d+): (?<path>[^:]+): (?<problem>.+); (?<fix>.+)$")]
    private static partial Regex ErrorLine();

    [Fact]
    public void Validate_TheRepositorysWorkflows_ExitsZero()
    {
        var (code, output, error) = Run("workflows", "validate", Samples.Folder);
        Assert.True(code == 0, output + error);
        Assert.Contains("4 workflow definition(s) valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ABrokenFolder_ExitsOneWithEveryErrorPositioned()
    {
        File.Copy(Path.Combine(Samples.Folder, "catalog.yaml"), Path.Combine(_broken, "catalog.yaml"));
        File.WriteAllText(Path.Combine(_broken, "refund.yaml"), Samples.Text("refund-approval").Replace("window: 30m", "window: 30 minuts", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(_broken, "leads.yaml"), Samples.Text("lead-routing").Replace("high: 0.9 ", "high: 0.5 ", StringComparison.Ordinal).Replace("medium: 0.6 ", "medium: 0.4 ", StringComparison.Ordinal));

        var refund = Samples.Text("refund-approval");
        var line = refund[..refund.IndexOf("window: 30m", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var (code, output, _) = Run("workflows", "validate", _broken);
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(ErrorLine(), l));
        Assert.Contains(lines, l => l.EndsWith("decide.approval.fast-track.window: \"30 minuts\" is not a duration; write 30m", StringComparison.Ordinal) && l.Contains($"refund.yaml:{line}:15:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("leads.yaml:", StringComparison.Ordinal) && l.Contains("MinAutoConfidence", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AFolderWithoutCatalogue_ExitsOneAndSaysHowToFix()
    {
        File.WriteAllText(Path.Combine(_broken, "refund.yaml"), Samples.Text("refund-approval"));
        var (code, output, _) = Run("workflows", "validate", _broken);
        Assert.Equal(1, code);
        Assert.Contains("there is no connector catalogue; create catalog.yaml", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithStricterGuardsFromSettings_FailsTheSamplesThatWouldBypassThem()
    {
        var settings = Path.Combine(_broken, "appsettings.json");
        File.WriteAllText(settings, """{"Coordinator":{"Guards":{"FinancialApprovalAbove":100,"MinAutoConfidence":0.95}}}""");
        var (code, output, _) = Run("workflows", "validate", Samples.Folder, "--settings", settings);
        Assert.Equal(1, code);
        Assert.Contains(output.Split('\n'), l => l.Contains("refund-approval.yaml:", StringComparison.Ordinal) && l.Contains("decide.approval.fast-track.up-to: fast-track up to 500 bypasses the guard FinancialApprovalAbove (100)", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.Contains("lead-routing.yaml:", StringComparison.Ordinal) && l.Contains("MinAutoConfidence (0.95)", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_WithGuardSettingsOutOfRange_ExitsTwoNamingTheSetting()
    {
        var settings = Path.Combine(_broken, "appsettings.json");
        File.WriteAllText(settings, """{"Coordinator":{"Guards":{"MinAutoConfidence":2}}}""");
        var (code, _, error) = Run("workflows", "validate", Samples.Folder, "--settings", settings);
        Assert.Equal(2, code);
        Assert.Contains("Coordinator:Guards:MinAutoConfidence is 2; set it between 0 and 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void List_PrintsTheInventory()
    {
        var (code, output, _) = Run("workflows", "list", Samples.Folder);
        Assert.Equal(0, code);
        Assert.Contains("refund-approval v2", output, StringComparison.Ordinal);
        Assert.Contains("owner:                payments-operations", output, StringComparison.Ordinal);
        Assert.Contains("if it fails silently: Overdue invoices age", output, StringComparison.Ordinal);
        Assert.Contains("runbook:              https://runbooks.example.com/workflows/lead-routing", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_ARefund_PrintsRulesTiersAndEffects()
    {
        var record = Path.Combine(_broken, "record.json");
        var answers = Path.Combine(_broken, "answers.json");
        File.WriteAllText(record, """{"refundId":"r-9","orderId":"o-1","customerId":"c-1","amount":40,"currency":"EUR","reason":"damaged"}""");
        File.WriteAllText(answers, """{"customer":{"refundsLast30Days":0,"status":"active"}}""");
        var (code, output, error) = Run("workflows", "explain", Path.Combine(Samples.Folder, "refund-approval.yaml"), "--input", record, "--answers", answers, "--at", "2026-12-01T09:00:00Z");
        Assert.True(code == 0, output + error);
        Assert.Contains("rule.chargeback-open=false", output, StringComparison.Ordinal);
        Assert.Contains("approval tier Instant", output, StringComparison.Ordinal);
        Assert.Contains("amount 40 is at most the instant limit 50", output, StringComparison.Ordinal);
        Assert.Contains("\"key\":\"r-9/refund\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCommand_ExitsTwo()
        => Assert.Equal(2, Run("workflows", "frobnicate").Code);
}
