using Coordinator.Workflows.Expressions;

namespace Coordinator.Workflows.Tests.Expressions;

public sealed class ExpressionTests
{
    private static readonly ExpressionScope Scope = ExpressionScope.Empty
        .With("record.amount", ValueKind.Number).With("record.tier", ValueKind.Text).With("record.vip", ValueKind.Bool);

    private static readonly Dictionary<string, object?> Facts = new() { ["record.amount"] = 120.5m, ["record.tier"] = "gold", ["record.vip"] = true };

    [Theory]
    [InlineData("[record.amount] >= 120.5 && [record.tier] == 'gold'", true)]
    [InlineData("[record.amount] > 120.5", false)]
    [InlineData("[record.tier] in ('silver', 'gold')", true)]
    [InlineData("![record.vip] || [record.amount] * 2 == 241", true)]
    [InlineData("if([record.vip], [record.amount], 0) > 100", true)]
    [InlineData("Max([record.amount], 200) == 200", true)]
    public void Condition_Evaluates(string text, bool expected)
    {
        var e = ExpressionCompiler.Compile(text, Scope, ValueKind.Bool).Expression;
        Assert.NotNull(e);
        Assert.Equal(expected, e.IsTrue(Facts));
    }

    [Theory]
    [InlineData("[record.amont] > 1", "unknown variable [record.amont]")]
    [InlineData("Sqrt([record.amount]) > 1", "unknown function Sqrt()")]
    [InlineData("[record.tier] > 1", "compare numbers")]
    [InlineData("[record.tier] == 1", "different types")]
    [InlineData("[record.amount] && true", "join conditions")]
    [InlineData("[record.amount] +", "does not parse")]
    [InlineData("", "empty")]
    public void Compile_Error_SaysWhatIsWrong(string text, string problem)
    {
        var result = ExpressionCompiler.Compile(text, Scope, ValueKind.Bool);
        Assert.Null(result.Expression);
        Assert.Contains(problem, result.Problem, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(result.Fix));
    }

    [Fact]
    public void Compile_RecordsTheVariablesReadAsEvidence()
    {
        var e = ExpressionCompiler.Compile("[record.amount] > 1 && [record.tier] == 'x' && [record.amount] < 9", Scope, ValueKind.Bool).Expression!;
        Assert.Equal(["record.amount", "record.tier"], e.Variables.ToArray());
    }

    [Fact]
    public void Evaluate_MissingFact_IsADataError()
    {
        var e = ExpressionCompiler.Compile("[record.amount] > 1", Scope, ValueKind.Bool).Expression!;
        var error = Assert.Throws<ExpressionEvaluationException>(() => e.Evaluate(new Dictionary<string, object?>()));
        Assert.Contains("'record.amount' has no value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_DivisionByZero_IsADataError()
    {
        var e = ExpressionCompiler.Compile("[record.amount] / 0", Scope, ValueKind.Number).Expression!;
        Assert.Throws<ExpressionEvaluationException>(() => e.Evaluate(Facts));
    }
}
