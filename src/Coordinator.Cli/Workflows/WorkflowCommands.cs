using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coordinator.Workflows.Definitions;
using Coordinator.Workflows.Engine;
using Coordinator.Workflows.Guards;
using Coordinator.Workflows.Replay;

namespace Coordinator.Cli.Workflows;

/// <summary><c>coordinator workflows validate|explain|list</c>: the workflow author's commands.</summary>
internal static class WorkflowCommands
{
    private static readonly JsonSerializerOptions Compact = new(WorkflowJson.Options) { WriteIndented = false };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var catalog = new Option<FileInfo?>("--catalog") { Description = $"The connector catalogue (default: {WorkflowLoader.CatalogFileName} in the folder)." };
        var settings = new Option<FileInfo?>("--settings") { Description = "An appsettings JSON file whose Coordinator:Guards section sets the guard rails (default: the conservative defaults)." };

        var folder = new Argument<DirectoryInfo>("folder") { Description = "The folder of workflow definitions." };
        var validate = new Command("validate", "Validate every definition in a folder; print every error as file:line:column: field: problem; fix. Exit 0 when all are valid, 1 otherwise.") { folder, catalog, settings };
        validate.SetAction(p => Guarded(error, () => Validate(p.GetValue(folder)!, p.GetValue(catalog), p.GetValue(settings), output, error)));

        var listFolder = new Argument<DirectoryInfo>("folder") { Description = "The folder of workflow definitions." };
        var list = new Command("list", "Print the inventory: name, version, owner, purpose, what happens if it fails silently, runbook.") { listFolder, catalog, settings };
        list.SetAction(p => Guarded(error, () => List(p.GetValue(listFolder)!, p.GetValue(catalog), p.GetValue(settings), output, error)));

        var file = new Argument<FileInfo>("file") { Description = "The workflow definition." };
        var input = new Option<FileInfo>("--input") { Description = "The trigger record, as JSON.", Required = true };
        var answers = new Option<FileInfo?>("--answers") { Description = "Connector answers for the look-ups, as JSON: { \"<look-up id>\": { ...output... } }." };
        var at = new Option<DateTimeOffset?>("--at") { Description = "When the record arrives (default: now)." };
        var explain = new Command("explain", "Print the decision path for a sample trigger: rules tried, which fired and why, tiers, guards and effects.") { file, input, answers, at, catalog, settings };
        explain.SetAction(p => Guarded(error, () => Explain(p.GetValue(file)!, p.GetValue(input)!, p.GetValue(answers), p.GetValue(at), p.GetValue(catalog), p.GetValue(settings), output, error)));

        return new Command("workflows", "Validate, explain and list workflow definitions.") { validate, explain, list };
    }

    private static int Guarded(TextWriter error, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            error.WriteLine($"{CoordinatorCli.Name}: {e.Message}");
            return 2;
        }
    }

    private static int Validate(DirectoryInfo folder, FileInfo? catalog, FileInfo? settings, TextWriter output, TextWriter error)
    {
        if (!folder.Exists)
        {
            error.WriteLine($"{CoordinatorCli.Name}: the folder {folder.FullName} does not exist");
            return 2;
        }

        var (result, _) = WorkflowFolder.Load(folder.FullName, catalog?.FullName, WorkflowFolder.Guards(settings?.FullName));
        foreach (var e in result.Errors)
        {
            output.WriteLine(e.ToString());
        }

        if (!result.IsValid)
        {
            error.WriteLine($"{result.Errors.Length} error(s); {result.Definitions.Length} definition(s) valid");
            return 1;
        }

        output.WriteLine($"{result.Definitions.Length} workflow definition(s) valid: {string.Join(", ", result.Definitions.Select(d => $"{d.Name} v{d.Version}"))}");
        return 0;
    }

    private static int List(DirectoryInfo folder, FileInfo? catalog, FileInfo? settings, TextWriter output, TextWriter error)
    {
        var (result, _) = WorkflowFolder.Load(folder.FullName, catalog?.FullName, WorkflowFolder.Guards(settings?.FullName));
        foreach (var d in result.Definitions.OrderBy(d => d.Name, StringComparer.Ordinal).ThenBy(d => d.Version))
        {
            output.WriteLine($"{d.Name} v{d.Version}  ({d.Source})");
            output.WriteLine($"  owner:                {d.Metadata.Owner}");
            output.WriteLine($"  purpose:              {d.Metadata.Purpose}");
            output.WriteLine($"  if it fails silently: {d.Metadata.IfItFailsSilently}");
            output.WriteLine($"  runbook:              {d.Metadata.Runbook}");
        }

        foreach (var e in result.Errors)
        {
            error.WriteLine(e.ToString());
        }

        return result.IsValid ? 0 : 1;
    }

    private static int Explain(FileInfo file, FileInfo input, FileInfo? answers, DateTimeOffset? at, FileInfo? catalog, FileInfo? settings, TextWriter output, TextWriter error)
    {
        var guards = WorkflowFolder.Guards(settings?.FullName);
        var (result, _) = WorkflowFolder.Load(file.DirectoryName!, catalog?.FullName, guards, [file.FullName]);
        foreach (var e in result.Errors)
        {
            error.WriteLine(e.ToString());
        }

        if (!result.IsValid)
        {
            return 1;
        }

        var definition = result.Definitions[0];
        var record = JsonNode.Parse(File.ReadAllText(input.FullName)) as JsonObject ?? throw new JsonException($"{input.Name} must hold a JSON object");
        var replies = answers is null ? null : JsonNode.Parse(File.ReadAllText(answers.FullName)) as JsonObject;
        var when = at ?? TimeProvider.System.GetUtcNow();
        output.WriteLine($"{definition.Name} v{definition.Version}: {definition.Metadata.Purpose}");
        output.WriteLine($"guards: {GuardRails.Financial} {guards.FinancialApprovalAbove.ToString(CultureInfo.InvariantCulture)}, {GuardRails.Confidence} {guards.MinAutoConfidence.ToString(CultureInfo.InvariantCulture)}, {GuardRails.Message} {guards.MessageApprovalAboveRisk.ToString(CultureInfo.InvariantCulture)}");

        var state = InstanceState.Initial;
        var pending = new Queue<WorkflowInput>();
        pending.Enqueue(new TriggerReceived(when, WorkflowJson.Flatten(record)));
        while (pending.TryDequeue(out var next))
        {
            output.WriteLine();
            output.WriteLine($"input {next.GetType().Name}{(next is ConnectorOutcome o ? $" {o.Key}" : "")}");
            var decision = WorkflowEngine.Decide(definition, state, next, guards);
            if (decision.Rejection is { } why)
            {
                output.WriteLine($"  refused: {why}");
                continue;
            }

            foreach (var e in decision.Events)
            {
                output.WriteLine($"  {e.GetType().Name}: {e.Audit.What}");
                output.WriteLine($"    who: {e.Audit.Who}; why: {e.Audit.Why}");
                if (!e.Audit.Evidence.IsEmpty)
                {
                    output.WriteLine($"    evidence: {string.Join(", ", e.Audit.Evidence.Select(p => $"{p.Key}={p.Value}"))}");
                }
            }

            foreach (var effect in decision.Effects)
            {
                output.WriteLine($"  -> {effect.GetType().Name} {JsonSerializer.Serialize(effect, Compact)}");
                if (effect is CallConnector call && replies is not null && definition.Lookups.Any(l => IdempotencyKey.For(state.InstanceId ?? InstanceOf(decision), l.Id) == call.Key))
                {
                    var id = IdempotencyKey.Parse(call.Key).Step;
                    if (replies[id] is JsonObject reply)
                    {
                        pending.Enqueue(new ConnectorOutcome(when, call.Key, true, WorkflowJson.Flatten(reply)));
                    }
                    else
                    {
                        output.WriteLine($"     (no answer for look-up {id} in {answers!.Name}; the path stops here)");
                    }
                }
            }

            state = WorkflowEngine.ApplyAll(state, decision.Events);
        }

        output.WriteLine();
        output.WriteLine($"status: {state.Status}");
        return 0;
    }

    private static string InstanceOf(Decision decision)
        => decision.Events.OfType<InstanceStarted>().Select(s => s.InstanceId).FirstOrDefault() ?? "";
}
