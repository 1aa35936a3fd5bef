using System.Collections.Immutable;
using System.Globalization;
using NCalc;
using NCalc.Visitors;

namespace Coordinator.Workflows.Expressions;

/// <summary>
/// An expression parsed and type-checked when its definition loaded. Evaluation reads only the
/// facts passed in (no reflection, no I/O, no clock) and is bounded: the language has no loops.
/// </summary>
public sealed class CompiledExpression
{
    private readonly LogicalExpression _tree;

    internal CompiledExpression(string text, LogicalExpression tree, ValueKind kind, ImmutableArray<string> variables)
    {
        Text = text;
        _tree = tree;
        Kind = kind;
        Variables = variables;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>The type it evaluates to.</summary>
    public ValueKind Kind { get; }

    /// <summary>The variables it reads, in order of first use: the evidence recorded with a decision.</summary>
    public ImmutableArray<string> Variables { get; }

    /// <summary>The constant this expression is, when it reads no variables and is a literal; otherwise null.</summary>
    public object? Constant => _tree is ValueExpression v ? ExpressionCompiler.Normalize(v.Value) : null;

    /// <summary>Evaluates against the facts.</summary>
    /// <param name="facts">Variable name to value (decimal, string or bool).</param>
    /// <returns>A decimal, string or bool.</returns>
    /// <exception cref="ExpressionEvaluationException">A variable the expression reads has no value, or the value has the wrong type.</exception>
    public object Evaluate(IReadOnlyDictionary<string, object?> facts)
    {
        foreach (var name in Variables)
        {
            if (!facts.TryGetValue(name, out var value) || value is null)
            {
                throw new ExpressionEvaluationException(Text, $"'{name}' has no value");
            }
        }

        var context = new ExpressionContext(new FactsView(facts), null, null, null, null);
        object? result;
        try
        {
            result = _tree.Accept(new EvaluationVisitor(context, ExpressionCompiler.Configuration.Evaluation, CultureInfo.InvariantCulture, null!, CancellationToken.None));
        }
        catch (Exception e) when (e is not ExpressionEvaluationException)
        {
            throw new ExpressionEvaluationException(Text, e.Message);
        }

        return ExpressionCompiler.Normalize(result) ?? throw new ExpressionEvaluationException(Text, "it evaluated to nothing");
    }

    /// <summary>Evaluates a condition.</summary>
    /// <param name="facts">The facts.</param>
    /// <returns>The condition's value.</returns>
    public bool IsTrue(IReadOnlyDictionary<string, object?> facts) => Evaluate(facts) is true;

    /// <summary>Evaluates a number.</summary>
    /// <param name="facts">The facts.</param>
    /// <returns>The number.</returns>
    public decimal Number(IReadOnlyDictionary<string, object?> facts)
        => Evaluate(facts) is decimal d ? d : throw new ExpressionEvaluationException(Text, "it is not a number");

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>An expression could not be evaluated on the facts it was given (a data failure).</summary>
public sealed class ExpressionEvaluationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="expression">The expression.</param>
    /// <param name="problem">What went wrong.</param>
    public ExpressionEvaluationException(string expression, string problem)
        : base($"expression {expression} could not be evaluated: {problem}")
    {
        Expression = expression;
    }

    /// <summary>Creates the exception.</summary>
    public ExpressionEvaluationException() => Expression = "";

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public ExpressionEvaluationException(string message) : base(message) => Expression = "";

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ExpressionEvaluationException(string message, Exception innerException) : base(message, innerException) => Expression = "";

    /// <summary>The expression that failed.</summary>
    public string Expression { get; }
}
