using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coordinator.Workflows.Definitions;
using Coordinator.Workflows.Engine;
using Coordinator.Workflows.Guards;

namespace Coordinator.Workflows.Replay;

/// <summary>
/// A recorded instance history: the inputs an instance received and the decisions the engine
/// took, as JSON. Golden files of these are replayed through the current engine; any changed
/// decision fails the check (as Temporal's replayer fails a non-deterministic workflow change).
/// </summary>
/// <param name="Workflow">The definition's name.</param>
/// <param name="Version">The definition's version the instance was pinned to.</param>
/// <param name="Guards">The guard rails in force.</param>
/// <param name="Inputs">The inputs, in order.</param>
/// <param name="Decisions">The decision taken for each input.</param>
public sealed record RecordedHistory(string Workflow, int Version, GuardRails Guards, ImmutableArray<WorkflowInput> Inputs, ImmutableArray<JsonNode> Decisions);

/// <summary>Records and replays instance histories.</summary>
public static class Replayer
{
    /// <summary>Runs inputs through the engine from the initial state and records every decision.</summary>
    /// <param name="definition">The definition.</param>
    /// <param name="guards">The guard rails.</param>
    /// <param name="inputs">The inputs.</param>
    /// <returns>The history.</returns>
    public static RecordedHistory Record(WorkflowDefinition definition, GuardRails guards, IEnumerable<WorkflowInput> inputs)
    {
        var state = InstanceState.Initial;
        var list = inputs.ToImmutableArray();
        var decisions = ImmutableArray.CreateBuilder<JsonNode>();
        foreach (var input in list)
        {
            var decision = WorkflowEngine.Decide(definition, state, input, guards);
            state = WorkflowEngine.ApplyAll(state, decision.Events);
            decisions.Add(JsonSerializer.SerializeToNode(decision, WorkflowJson.Options)!);
        }

        return new RecordedHistory(definition.Name, definition.Version, guards, list, decisions.ToImmutable());
    }

    /// <summary>Replays a history through the current engine.</summary>
    /// <param name="store">The stored definitions (the history's version is looked up).</param>
    /// <param name="history">The history.</param>
    /// <returns>One line per changed decision; empty when every decision is the same.</returns>
    public static ImmutableArray<string> Check(DefinitionStore store, RecordedHistory history)
    {
        if (store.Get(history.Workflow, history.Version) is not { } definition)
        {
            return [$"{history.Workflow} version {history.Version} is not stored: keep every version that recorded instances still run on"];
        }

        var replayed = Record(definition, history.Guards, history.Inputs);
        var problems = ImmutableArray.CreateBuilder<string>();
        if (replayed.Decisions.Length != history.Decisions.Length)
        {
            problems.Add($"the history records {history.Decisions.Length} decisions for {history.Inputs.Length} inputs");
        }

        for (var i = 0; i < Math.Min(replayed.Decisions.Length, history.Decisions.Length); i++)
        {
            if (!JsonNode.DeepEquals(replayed.Decisions[i], history.Decisions[i]))
            {
                problems.Add($"decision {i} (input {history.Inputs[i].GetType().Name} at {history.Inputs[i].At:O}) changed: {FirstDifference(history.Decisions[i], replayed.Decisions[i], "")}");
            }
        }

        return problems.ToImmutable();
    }

    /// <summary>Reads a history from JSON.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The history.</returns>
    public static RecordedHistory Read(string json) => JsonSerializer.Deserialize<RecordedHistory>(json, WorkflowJson.Options) ?? throw new JsonException("the history is empty");

    /// <summary>Writes a history as JSON.</summary>
    /// <param name="history">The history.</param>
    /// <returns>The JSON.</returns>
    public static string Write(RecordedHistory history) => JsonSerializer.Serialize(history, WorkflowJson.Options);

    private static string FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!JsonNode.DeepEquals(e[key], a[key]))
                    {
                        return FirstDifference(e[key], a[key], $"{path}.{key}");
                    }
                }

                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    var ei = i < e.Count ? e[i] : null;
                    var ai = i < a.Count ? a[i] : null;
                    if (!JsonNode.DeepEquals(ei, ai))
                    {
                        return FirstDifference(ei, ai, $"{path}[{i}]");
                    }
                }

                break;
            default:
                break;
        }

        return $"at {(path.Length == 0 ? "." : path)} the recorded {expected?.ToJsonString() ?? "nothing"} is now {actual?.ToJsonString() ?? "nothing"}";
    }
}
