using System.Collections.Immutable;
using System.Globalization;
using NCalc;
using NCalc.Exceptions;
using NCalc.Visitors;

namespace Coordinator.Workflows.Expressions;

/// <summary>
/// Compiles expressions with NCalc's parser and checks them against a scope before anything
/// runs: an unknown variable, an unknown function or a type error is a load error, never a
/// surprise at run time. Variables are written in brackets (<c>[record.amount] &gt; 100</c>).
/// </summary>
public static class ExpressionCompiler
{
    /// <summary>The longest expression accepted; long expressions belong in several rules.</summary>
    public const int MaxLength = 1000;

    internal const ExpressionOptions Options =
        ExpressionOptions.DecimalAsDefault | ExpressionOptions.NoCache | ExpressionOptions.OrdinalStringComparer
        | ExpressionOptions.NoStringTypeCoercion | ExpressionOptions.DisallowSingleEquals | ExpressionOptions.OverflowProtection;

    internal static readonly ExpressionConfiguration Configuration = ExpressionConfiguration.FromOptions(Options);

    /// <summary>The functions an expression may call, with their arity (-1: one or more).</summary>
    public static readonly ImmutableSortedDictionary<string, int> Functions = new Dictionary<string, int>
    {
        ["if"] = 3,
        ["Abs"] = 1,
        ["Ceiling"] = 1,
        ["Floor"] = 1,
        ["Max"] = 2,
        ["Min"] = 2,
        ["Round"] = 2,
        ["Truncate"] = 1,
        ["Sign"] = 1,
    }.ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>Parses and type-checks an expression.</summary>
    /// <param name="text">The expression.</param>
    /// <param name="scope">The variables it may read.</param>
    /// <param name="expected">The type the place it is used in needs, or null for any scalar.</param>
    /// <returns>The compiled expression, or the problem and how to fix it.</returns>
    public static CompileResult Compile(string text, ExpressionScope scope, ValueKind? expected)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return CompileResult.Failed("the expression is empty", "write an expression such as [record.amount] > 100");
        }

        if (text.Length > MaxLength)
        {
            return CompileResult.Failed($"the expression is {text.Length} characters long, more than {MaxLength}", "split it into several rules");
        }

        LogicalExpression tree;
        try
        {
            tree = LogicalExpressionParser.Parse(text, Configuration.Parsing, CultureInfo.InvariantCulture, CancellationToken.None);
        }
        catch (NCalcException e)
        {
            return CompileResult.Failed($"{text} does not parse ({e.Message})", "write variables in brackets ([record.amount]), text in single quotes, and use ==, !=, <, <=, >, >=, &&, ||, !");
        }

        var checker = new TypeChecker(scope);
        var kind = tree.Accept(checker);
        if (checker.Error is { } error)
        {
            return CompileResult.Failed(error.Problem, error.Fix);
        }

        if (kind is null)
        {
            return CompileResult.Failed($"{text} is always null", "compare a variable with a value instead");
        }

        if (expected is { } want && kind != want)
        {
            return CompileResult.Failed($"{text} is a {Name(kind.Value)}, but a {Name(want)} is needed here", want switch
            {
                ValueKind.Bool => "write a condition, e.g. [record.amount] > 100",
                ValueKind.Number => "write a number or an arithmetic expression, e.g. [record.amount]",
                _ => "write text in single quotes or a text variable",
            });
        }

        return CompileResult.Ok(new CompiledExpression(text, tree, kind.Value, [.. checker.Variables]));
    }

    internal static string Name(ValueKind kind) => kind switch
    {
        ValueKind.Number => "number",
        ValueKind.Text => "text",
        _ => "condition (true/false)",
    };

    internal static object? Normalize(object? value) => value switch
    {
        null => null,
        decimal d => d,
        int i => (decimal)i,
        long l => (decimal)l,
        double f when double.IsFinite(f) => (decimal)f,
        double => throw new ExpressionEvaluationException("", "the arithmetic has no finite result (a division by zero?)"),
        float f => (decimal)f,
        string or bool => value,
        _ => throw new ExpressionEvaluationException("", $"a value of type {value.GetType().Name} is not a number, text or condition"),
    };

    private sealed class TypeChecker(ExpressionScope scope) : ILogicalExpressionVisitor<ValueKind?>
    {
        public (string Problem, string Fix)? Error { get; private set; }

        public List<string> Variables { get; } = [];

        private ValueKind? Fail(string problem, string fix)
        {
            Error ??= (problem, fix);
            return null;
        }

        public ValueKind? Visit(TernaryExpression expression)
        {
            var condition = expression.LeftExpression.Accept(this);
            if (condition != ValueKind.Bool && Error is null)
            {
                return Fail("the condition before '?' is not true/false", "write a comparison before '?'");
            }

            var a = expression.MiddleExpression.Accept(this);
            var b = expression.RightExpression.Accept(this);
            return Same(a, b, "the two branches of '?:'");
        }

        private ValueKind? Same(ValueKind? a, ValueKind? b, string what)
        {
            if (Error is not null)
            {
                return null;
            }

            if (a is null || b is null)
            {
                return a ?? b;
            }

            return a == b ? a : Fail($"{what} have different types ({Name(a.Value)} and {Name(b.Value)})", "make both sides the same type");
        }

        public ValueKind? Visit(BinaryExpression expression)
        {
            var left = expression.LeftExpression.Accept(this);
            if (expression.Type is BinaryExpressionType.In or BinaryExpressionType.NotIn)
            {
                if (expression.RightExpression is not LogicalExpressionList list)
                {
                    return Fail("'in' needs a list of values in parentheses", "write [record.tier] in ('gold', 'silver')");
                }

                foreach (var item in list)
                {
                    Same(left, item.Accept(this), "the value and the list after 'in'");
                }

                return Error is null ? ValueKind.Bool : null;
            }

            var right = expression.RightExpression.Accept(this);
            if (Error is not null)
            {
                return null;
            }

            switch (expression.Type)
            {
                case BinaryExpressionType.And or BinaryExpressionType.Or:
                    return left == ValueKind.Bool && right == ValueKind.Bool
                        ? ValueKind.Bool
                        : Fail("'&&' and '||' join conditions, but one side is not true/false", "compare values on each side, e.g. [a] > 1 && [b] == 'x'");
                case BinaryExpressionType.Equal or BinaryExpressionType.NotEqual:
                    Same(left, right, "the two sides of '=='");
                    return Error is null ? ValueKind.Bool : null;
                case BinaryExpressionType.Lesser or BinaryExpressionType.LesserOrEqual or BinaryExpressionType.Greater or BinaryExpressionType.GreaterOrEqual:
                    return left == ValueKind.Number && right == ValueKind.Number
                        ? ValueKind.Bool
                        : Fail($"'<', '<=', '>' and '>=' compare numbers, but a side is {(left == ValueKind.Number ? Describe(right) : Describe(left))}", "compare numbers, or use == for text");
                case BinaryExpressionType.Plus when left == ValueKind.Text && right == ValueKind.Text:
                    return ValueKind.Text;
                case BinaryExpressionType.Plus or BinaryExpressionType.Minus or BinaryExpressionType.Times or BinaryExpressionType.Div or BinaryExpressionType.Modulo:
                    return left == ValueKind.Number && right == ValueKind.Number
                        ? ValueKind.Number
                        : Fail($"arithmetic needs numbers, but a side is {(left == ValueKind.Number ? Describe(right) : Describe(left))}", "use number variables and literals");
                case BinaryExpressionType.Like or BinaryExpressionType.NotLike:
                    return left == ValueKind.Text && right == ValueKind.Text
                        ? ValueKind.Bool
                        : Fail("'like' compares text", "write [record.email] like '%@example.com'");
                default:
                    return Fail($"the operator {expression.Type} is not supported", "use comparisons, &&, ||, !, arithmetic, 'in' and 'like'");
            }
        }

        private static string Describe(ValueKind? kind) => kind is { } k ? Name(k) : "null";

        public ValueKind? Visit(UnaryExpression expression)
        {
            var operand = expression.Expression.Accept(this);
            if (Error is not null)
            {
                return null;
            }

            return expression.Type switch
            {
                UnaryExpressionType.Not when operand == ValueKind.Bool => ValueKind.Bool,
                UnaryExpressionType.Negate or UnaryExpressionType.Positive when operand == ValueKind.Number => ValueKind.Number,
                UnaryExpressionType.Not => Fail("'!' needs a condition", "write !([a] > 1)"),
                UnaryExpressionType.Negate or UnaryExpressionType.Positive => Fail("'-' needs a number", "negate a number"),
                _ => Fail($"the operator {expression.Type} is not supported", "use comparisons, &&, ||, !, arithmetic"),
            };
        }

        public ValueKind? Visit(ValueExpression expression) => expression.Type switch
        {
            NCalc.ValueType.Integer or NCalc.ValueType.Float => ValueKind.Number,
            NCalc.ValueType.String => ValueKind.Text,
            NCalc.ValueType.Boolean => ValueKind.Bool,
            _ => Fail($"literals of type {expression.Type} are not supported", "use numbers, 'text', true or false; durations belong in YAML fields such as window: 30m"),
        };

        public ValueKind? Visit(Function function)
        {
            var name = function.Identifier.Name;
            if (!Functions.TryGetValue(name, out var arity))
            {
                return Fail($"unknown function {name}()", $"use one of {string.Join(", ", Functions.Keys)}");
            }

            var args = function.Parameters.Select(p => p.Accept(this)).ToList();
            if (Error is not null)
            {
                return null;
            }

            if (args.Count != arity)
            {
                return Fail($"{name}() takes {arity} arguments, not {args.Count}", $"call {name} with {arity}");
            }

            if (name == "if")
            {
                return args[0] == ValueKind.Bool ? Same(args[1], args[2], "the two results of if()") : Fail("the first argument of if() is not a condition", "write if([a] > 1, 'x', 'y')");
            }

            return args.All(a => a == ValueKind.Number) ? ValueKind.Number : Fail($"{name}() takes numbers", $"pass numbers to {name}()");
        }

        public ValueKind? Visit(Identifier identifier)
        {
            var name = identifier.Name;
            if (!scope.Variables.TryGetValue(name, out var kind))
            {
                var near = scope.Variables.Keys.Where(k => k.EndsWith("." + name.Split('.')[^1], StringComparison.Ordinal) || k.StartsWith(name.Split('.')[0] + ".", StringComparison.Ordinal)).Take(5).ToList();
                return Fail(
                    $"unknown variable [{name}]",
                    near.Count > 0 ? $"did you mean {string.Join(" or ", near.Select(n => $"[{n}]"))}? Variables are declared in trigger.fields, a look-up's fields or a rule's set" : "declare it in trigger.fields, a look-up's fields or a rule's set, and write it in brackets");
            }

            if (!Variables.Contains(name))
            {
                Variables.Add(name);
            }

            return kind;
        }

        public ValueKind? Visit(LogicalExpressionList list) => Fail("a list is only allowed after 'in'", "write [x] in ('a', 'b')");
    }
}

/// <summary>The result of compiling an expression: the expression, or the problem and its fix.</summary>
/// <param name="Expression">The compiled expression when it succeeded.</param>
/// <param name="Problem">What is wrong when it failed.</param>
/// <param name="Fix">How to fix it.</param>
public sealed record CompileResult(CompiledExpression? Expression, string? Problem, string? Fix)
{
    internal static CompileResult Ok(CompiledExpression e) => new(e, null, null);

    internal static CompileResult Failed(string problem, string fix) => new(null, problem, fix);
}
