namespace Coordinator.Workflows.Guards;

/// <summary>
/// The organisation's guard rails (<c>Coordinator:Guards</c>), enforced by the engine for every
/// definition: at load (a definition that would bypass one is invalid) and again at run time (an
/// input that would cross one parks the instance for review).
/// </summary>
public sealed class GuardOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator:Guards";

    /// <summary>
    /// No financial action above this amount without a human approval.
    /// </summary>
    /// <value>Default 1000. Must be zero or more.</value>
    public decimal FinancialApprovalAbove { get; set; } = 1000m;

    /// <summary>A confidence below this never acts automatically.</summary>
    /// <value>Default 0.8. Between 0 and 1.</value>
    public decimal MinAutoConfidence { get; set; } = 0.8m;

    /// <summary>Customer-facing messages with a risk above this need an approval.</summary>
    /// <value>Default 0.5. Between 0 and 1.</value>
    public decimal MessageApprovalAboveRisk { get; set; } = 0.5m;

    /// <summary>Checks the settings.</summary>
    /// <returns>One message per wrong setting, naming it and the fix; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FinancialApprovalAbove < 0)
        {
            errors.Add($"{Section}:FinancialApprovalAbove is {FinancialApprovalAbove}; set it to an amount of zero or more (0 sends every financial action to a human)");
        }

        if (MinAutoConfidence is < 0 or > 1)
        {
            errors.Add($"{Section}:MinAutoConfidence is {MinAutoConfidence}; set it between 0 and 1 (1 sends every classified case to a human)");
        }

        if (MessageApprovalAboveRisk is < 0 or > 1)
        {
            errors.Add($"{Section}:MessageApprovalAboveRisk is {MessageApprovalAboveRisk}; set it between 0 and 1 (0 sends every risky message to a human)");
        }

        return errors;
    }

    /// <summary>A snapshot of these settings for the engine.</summary>
    /// <returns>The guards.</returns>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public GuardRails ToGuardRails()
    {
        var errors = Validate();
        return errors.Count > 0 ? throw new ArgumentException(string.Join("; ", errors)) : new GuardRails(FinancialApprovalAbove, MinAutoConfidence, MessageApprovalAboveRisk);
    }
}

/// <summary>The guard rails as the engine reads them.</summary>
/// <param name="FinancialApprovalAbove">No financial action above this without a human approval.</param>
/// <param name="MinAutoConfidence">No automatic action below this confidence.</param>
/// <param name="MessageApprovalAboveRisk">No customer message above this risk without an approval.</param>
public sealed record GuardRails(decimal FinancialApprovalAbove, decimal MinAutoConfidence, decimal MessageApprovalAboveRisk)
{
    /// <summary>The conservative defaults.</summary>
    public static GuardRails Default { get; } = new(1000m, 0.8m, 0.5m);

    /// <summary>The name of the financial guard, as it appears in audits and errors.</summary>
    public const string Financial = "FinancialApprovalAbove";

    /// <summary>The name of the confidence guard.</summary>
    public const string Confidence = "MinAutoConfidence";

    /// <summary>The name of the message guard.</summary>
    public const string Message = "MessageApprovalAboveRisk";
}
