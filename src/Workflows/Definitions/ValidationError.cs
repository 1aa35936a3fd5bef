namespace Coordinator.Workflows.Definitions;

/// <summary>One thing wrong in a definition, where it is and how to fix it.</summary>
/// <param name="File">The file.</param>
/// <param name="Line">The line, from 1.</param>
/// <param name="Column">The column, from 1.</param>
/// <param name="Path">The field's path, e.g. <c>decide.approval.fast-track.window</c>.</param>
/// <param name="Problem">What is wrong.</param>
/// <param name="Fix">How to fix it.</param>
public sealed record ValidationError(string File, int Line, int Column, string Path, string Problem, string Fix)
{
    /// <summary>The error as one line: <c>file:line:column: field.path: what is wrong; how to fix it</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"{File}:{Line}:{Column}: {Path}: {Problem}; {Fix}";
}
