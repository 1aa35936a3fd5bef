using System.Text.Json.Nodes;

namespace Coordinator.Connectors;

/// <summary>
/// JSON merge patch as RFC 7396 defines it: an object patch merges member by member (a
/// <c>null</c> member removes it, an object member merges recursively, anything else replaces),
/// over an empty object when the target is not one; any other patch replaces the target.
/// Operators edit a parked step's input with it (<c>RetryStep</c>).
/// </summary>
public static class JsonMergePatch
{
    /// <summary>The result of applying <paramref name="patch"/> to <paramref name="target"/> (RFC 7396 section 2); neither is changed.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject members)
        {
            return patch?.DeepClone();
        }

        var merged = target is JsonObject obj ? (JsonObject)obj.DeepClone() : [];
        foreach (var (name, value) in members)
        {
            if (value is null)
            {
                merged.Remove(name);
            }
            else
            {
                merged[name] = Apply(merged[name], value);
            }
        }

        return merged;
    }

    /// <summary>A step's <paramref name="input"/> edited by <paramref name="edit"/>; with no edit, a copy of the input.</summary>
    public static JsonObject Edit(JsonObject input, JsonObject? edit)
    {
        ArgumentNullException.ThrowIfNull(input);
        return edit is null ? (JsonObject)input.DeepClone() : (JsonObject)Apply(input, edit)!;
    }
}
