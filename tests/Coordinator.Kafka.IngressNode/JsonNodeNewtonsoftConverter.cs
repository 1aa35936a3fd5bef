using System.Text.Json.Nodes;

namespace Coordinator.Kafka.IngressNode;

/// <summary>
/// Lets Akka's Newtonsoft serializer round-trip System.Text.Json nodes (as their JSON text). With
/// <c>serialize-messages = on</c> Akka.Persistence's internal <c>Desequenced</c> (which wraps every
/// write's reply, payload included) is not bound to any serializer, so it is checked with Newtonsoft,
/// which cannot build a <see cref="JsonNode"/>; our own messages never take that path (they are
/// <see cref="Coordinator.Contracts.ICoordinatorMessage"/>s). Test-only: production does not verify.
/// </summary>
public sealed class JsonNodeNewtonsoftConverter : Newtonsoft.Json.JsonConverter
{
    /// <inheritdoc />
    public override bool CanConvert(Type objectType) => typeof(JsonNode).IsAssignableFrom(objectType);

    /// <inheritdoc />
    public override void WriteJson(Newtonsoft.Json.JsonWriter writer, object? value, Newtonsoft.Json.JsonSerializer serializer)
        => writer.WriteValue(((JsonNode?)value)?.ToJsonString());

    /// <inheritdoc />
    public override object? ReadJson(Newtonsoft.Json.JsonReader reader, Type objectType, object? existingValue, Newtonsoft.Json.JsonSerializer serializer)
        => reader.Value is string text ? JsonNode.Parse(text) : null;
}
