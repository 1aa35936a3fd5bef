using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Coordinator.Workflows.Replay;

/// <summary>The JSON form of inputs, events and effects (stable type names, camelCase, enums as names).</summary>
public static class WorkflowJson
{
    /// <summary>The serializer options.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Flattens a JSON object into dotted names with number, text and bool values (the form records and outputs take).</summary>
    /// <param name="json">The object.</param>
    /// <returns>The flat fields.</returns>
    public static ImmutableSortedDictionary<string, object?> Flatten(JsonObject json)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, object?>(StringComparer.Ordinal);
        Walk(json, "");
        return b.ToImmutable();

        void Walk(JsonNode? node, string prefix)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        Walk(v, prefix.Length == 0 ? k : $"{prefix}.{k}");
                    }

                    break;
                case JsonValue v when v.TryGetValue<bool>(out var flag):
                    b[prefix] = flag;
                    break;
                case JsonValue v when v.TryGetValue<string>(out var s):
                    b[prefix] = s;
                    break;
                case JsonValue v when v.TryGetValue<decimal>(out var d):
                    b[prefix] = d;
                    break;
                default:
                    b[prefix] = node?.ToJsonString();
                    break;
            }
        }
    }
}
