using System.Collections.Immutable;

namespace Coordinator.Workflows.Expressions;

/// <summary>
/// The variables an expression may read, with their types: <c>record.amount</c>,
/// <c>customer.tier</c>, <c>decision.owner</c>. An expression naming anything else fails to load.
/// </summary>
/// <param name="Variables">Variable name to type.</param>
public sealed record ExpressionScope(ImmutableSortedDictionary<string, ValueKind> Variables)
{
    /// <summary>A scope with no variables.</summary>
    public static ExpressionScope Empty { get; } = new(ImmutableSortedDictionary.Create<string, ValueKind>(StringComparer.Ordinal));

    /// <summary>This scope plus one variable.</summary>
    /// <param name="name">The variable's dotted name.</param>
    /// <param name="kind">Its type.</param>
    /// <returns>The widened scope.</returns>
    public ExpressionScope With(string name, ValueKind kind) => new(Variables.SetItem(name, kind));
}
