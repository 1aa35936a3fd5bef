using System.Text.Json;
using Coordinator.Workflows.Definitions;
using Coordinator.Workflows.Guards;

namespace Coordinator.Cli.Workflows;

/// <summary>Reads a folder of workflow definitions, its catalogue and the guard rails from disk (the engine itself does no I/O).</summary>
internal static class WorkflowFolder
{
    public static (LoadResult Result, WorkflowCatalog Catalog) Load(string folder, string? catalogPath, GuardRails guards, IEnumerable<string>? only = null)
    {
        var catalog = Catalog(folder, catalogPath, out var catalogErrors);
        var files = only ?? Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(folder, "*.yml", SearchOption.AllDirectories))
            .Where(f => !string.Equals(Path.GetFileName(f), WorkflowLoader.CatalogFileName, StringComparison.Ordinal));
        var texts = files.Select(f => (Display(f), File.ReadAllText(f))).ToList();
        var result = WorkflowLoader.Load(texts, catalog, guards);
        return (result with { Errors = catalogErrors.AddRange(result.Errors) }, catalog);
    }

    public static WorkflowCatalog Catalog(string folder, string? catalogPath, out System.Collections.Immutable.ImmutableArray<ValidationError> errors)
    {
        var path = catalogPath ?? Path.Combine(folder, WorkflowLoader.CatalogFileName);
        if (!File.Exists(path))
        {
            errors = [new ValidationError(Display(path), 1, 1, "catalog", "there is no connector catalogue", $"create {WorkflowLoader.CatalogFileName} in the folder (connectors: and queues:), or pass --catalog <file>")];
            return WorkflowCatalog.Create([], []);
        }

        return WorkflowLoader.LoadCatalog(Display(path), File.ReadAllText(path), out errors);
    }

    /// <summary>Reads <c>Coordinator:Guards</c> from an appsettings-style JSON file, or the defaults.</summary>
    public static GuardRails Guards(string? settingsPath)
    {
        var options = new GuardOptions();
        if (settingsPath is not null)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(settingsPath));
            if (doc.RootElement.TryGetProperty("Coordinator", out var c) && c.TryGetProperty("Guards", out var g))
            {
                if (g.TryGetProperty(nameof(GuardOptions.FinancialApprovalAbove), out var f))
                {
                    options.FinancialApprovalAbove = f.GetDecimal();
                }

                if (g.TryGetProperty(nameof(GuardOptions.MinAutoConfidence), out var m))
                {
                    options.MinAutoConfidence = m.GetDecimal();
                }

                if (g.TryGetProperty(nameof(GuardOptions.MessageApprovalAboveRisk), out var r))
                {
                    options.MessageApprovalAboveRisk = r.GetDecimal();
                }
            }
        }

        return options.ToGuardRails();
    }

    private static string Display(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
