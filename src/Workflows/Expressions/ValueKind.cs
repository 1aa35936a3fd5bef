namespace Coordinator.Workflows.Expressions;

/// <summary>The scalar types a definition's fields and expressions have.</summary>
public enum ValueKind
{
    /// <summary>A decimal number (amounts, scores, risks, counts).</summary>
    Number,

    /// <summary>Text.</summary>
    Text,

    /// <summary>True or false.</summary>
    Bool,
}
