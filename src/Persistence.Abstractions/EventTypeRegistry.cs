using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Coordinator.Persistence.Abstractions;

/// <summary>
/// Maps persisted events to stable, versioned type names (<c>V1.CaseOpened</c>) that never
/// depend on CLR names, and serialises them with System.Text.Json source-generated metadata.
/// Old versions are read through upcasters that rewrite their JSON into the current shape, so
/// events stored years ago stay readable after their classes change.
/// </summary>
public sealed class EventTypeRegistry
{
    private readonly Dictionary<string, Registration> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, Registration> _byType = [];
    private readonly Dictionary<string, (string To, Func<JsonNode, JsonNode> Upcast)> _upcasters = new(StringComparer.Ordinal);
    private volatile bool _frozen;

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="typeName"/>, serialised with <paramref name="typeInfo"/> (from a <c>JsonSerializerContext</c>).</summary>
    /// <exception cref="ArgumentException">The name is malformed, or the name or type is registered already.</exception>
    public EventTypeRegistry Register<T>(string typeName, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        ValidateName(typeName);
        ThrowIfFrozen();
        if (_byName.TryGetValue(typeName, out var existing))
        {
            throw new ArgumentException($"Event type name '{typeName}' is already registered for {existing.Type.Name}; every event type needs its own name (bump the version for a new shape: V2.…).", nameof(typeName));
        }

        if (_byType.TryGetValue(typeof(T), out existing))
        {
            throw new ArgumentException($"{typeof(T).Name} is already registered as '{existing.Name}'; a CLR type has one current name. Old names are read through AddUpcaster.", nameof(typeName));
        }

        var registration = new Registration(typeName, typeof(T), typeInfo);
        _byName.Add(typeName, registration);
        _byType.Add(typeof(T), registration);
        return this;
    }

    /// <summary>
    /// Reads events stored as <paramref name="fromTypeName"/> by rewriting their JSON with
    /// <paramref name="upcast"/> and treating the result as <paramref name="toTypeName"/>
    /// (which may itself be upcast further).
    /// </summary>
    public EventTypeRegistry AddUpcaster(string fromTypeName, string toTypeName, Func<JsonNode, JsonNode> upcast)
    {
        ValidateName(fromTypeName);
        ValidateName(toTypeName);
        ArgumentNullException.ThrowIfNull(upcast);
        ThrowIfFrozen();
        if (_byName.ContainsKey(fromTypeName))
        {
            throw new ArgumentException($"'{fromTypeName}' is a registered current type; upcasters read retired names only.", nameof(fromTypeName));
        }

        if (!_upcasters.TryAdd(fromTypeName, (toTypeName, upcast)))
        {
            throw new ArgumentException($"An upcaster from '{fromTypeName}' is registered already.", nameof(fromTypeName));
        }

        return this;
    }

    /// <summary>True when <paramref name="clrType"/> can be persisted.</summary>
    public bool IsRegistered(Type clrType) => _byType.ContainsKey(clrType);

    /// <summary>The stable name of <paramref name="clrType"/>.</summary>
    /// <exception cref="EventSerializationException">The type is not registered.</exception>
    public string NameOf(Type clrType) => Find(clrType).Name;

    /// <summary>Serialises <paramref name="event"/> to UTF-8 JSON with its stable name.</summary>
    /// <exception cref="EventSerializationException">Its type is not registered, or serialisation failed.</exception>
    public SerializedEvent Serialize(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        _frozen = true;
        var registration = Find(@event.GetType());
        try
        {
            return new SerializedEvent(registration.Name, JsonSerializer.SerializeToUtf8Bytes(@event, registration.TypeInfo));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new EventSerializationException($"Event {@event.GetType().Name} could not be serialised as '{registration.Name}': {ex.Message}", ex);
        }
    }

    /// <summary>Reads an event stored under <paramref name="typeName"/>, upcasting old versions.</summary>
    /// <exception cref="EventSerializationException">The name is unknown or the payload does not match its type.</exception>
    public object Deserialize(string typeName, ReadOnlySpan<byte> utf8Json)
    {
        _frozen = true;
        if (_byName.TryGetValue(typeName, out var registration))
        {
            return DeserializeAs(registration, utf8Json, typeName);
        }

        if (!_upcasters.ContainsKey(typeName))
        {
            throw new EventSerializationException($"Unknown event type '{typeName}': no registered type and no upcaster has that name. Register it (EventTypeRegistry.Register<T>(\"{typeName}\", …)) or add an upcaster from it to its current version.");
        }

        JsonNode node;
        try
        {
            node = JsonNode.Parse(utf8Json) ?? throw new EventSerializationException($"Event of type '{typeName}' has a null payload.");
        }
        catch (JsonException ex)
        {
            throw new EventSerializationException($"Event of type '{typeName}' is not valid JSON: {ex.Message}", ex);
        }

        var name = typeName;
        var hops = 0;
        while (_upcasters.TryGetValue(name, out var upcaster))
        {
            if (++hops > 64)
            {
                throw new EventSerializationException($"Upcasters from '{typeName}' form a cycle; each upcaster must lead to a newer version.");
            }

            node = upcaster.Upcast(node);
            name = upcaster.To;
        }

        if (!_byName.TryGetValue(name, out registration))
        {
            throw new EventSerializationException($"Upcasting '{typeName}' ends at '{name}', which is not a registered type; register it.");
        }

        return DeserializeAs(registration, JsonSerializer.SerializeToUtf8Bytes(node, JsonNodeContext.Default.JsonNode), typeName);
    }

    private static object DeserializeAs(Registration registration, ReadOnlySpan<byte> utf8Json, string storedName)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, registration.TypeInfo)
                ?? throw new EventSerializationException($"Event of type '{storedName}' has a null payload.");
        }
        catch (JsonException ex)
        {
            throw new EventSerializationException($"Event of type '{storedName}' does not match {registration.Type.Name}: {ex.Message}", ex);
        }
    }

    private static void ValidateName(string typeName)
    {
        if (string.IsNullOrWhiteSpace(typeName) || typeName.Length > 200 || typeName.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"Event type name '{typeName}' is invalid; use a short versioned name without spaces such as \"V1.CaseOpened\".", nameof(typeName));
        }
    }

    private Registration Find(Type clrType)
        => _byType.TryGetValue(clrType, out var registration)
            ? registration
            : throw new EventSerializationException($"{clrType.FullName} is not a registered event type; register it with EventTypeRegistry.Register<{clrType.Name}>(\"V1.{clrType.Name}\", context.{clrType.Name}).");

    private void ThrowIfFrozen()
    {
        if (_frozen)
        {
            throw new InvalidOperationException("Register every event type and upcaster at start-up, before the first event is written or read.");
        }
    }

    private sealed record Registration(string Name, Type Type, JsonTypeInfo TypeInfo);
}

/// <summary>An event as stored: its stable type name and its serialized form.</summary>
/// <param name="TypeName">The stable, versioned name (the serializer's manifest).</param>
/// <param name="Payload">UTF-8 JSON when <paramref name="SerializerId"/> is <see cref="Json"/>, otherwise the bytes of that Akka serializer.</param>
/// <param name="SerializerId">Which serializer wrote <paramref name="Payload"/>: <see cref="Json"/> (ours, kept as JSON the database can query) or an Akka serializer's id.</param>
public sealed record SerializedEvent(string TypeName, byte[] Payload, int SerializerId = SerializedEvent.Json)
{
    /// <summary>The payload is UTF-8 JSON written by Coordinator's serializer; stores keep it as JSON (jsonb on PostgreSQL).</summary>
    public const int Json = 0;

    /// <summary>True when <see cref="Payload"/> is JSON the database can store as such.</summary>
    public bool IsJson => SerializerId == Json;
}

/// <summary>An event could not be written or read; the message names the event type and the fix.</summary>
public sealed class EventSerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventSerializationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class JsonNodeContext : System.Text.Json.Serialization.JsonSerializerContext;
