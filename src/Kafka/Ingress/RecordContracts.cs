using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coordinator.Persistence.Abstractions;

namespace Coordinator.Kafka.Ingress;

/// <summary>
/// The contracts of the records the coordinator consumes. A record's key is the entity it is
/// about (UTF-8); its value is a JSON envelope:
/// <code>{ "id": "evt-81f2", "type": "order.placed", "version": 1, "data": { … } }</code>
/// <c>id</c> is the business event id (the same fact re-published carries the same id),
/// <c>type</c> and <c>version</c> (default 1) select the registered contract, and <c>data</c>
/// must deserialise to its type and pass its validation. Anything else is a poison record and
/// goes to the dead-letter store with the reason.
/// </summary>
public sealed class RecordContracts
{
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Dictionary<(string Type, int Version), Contract> _contracts = [];

    /// <summary>Registers the contract of <paramref name="type"/> at <paramref name="version"/>.</summary>
    /// <param name="type">The envelope's <c>type</c>, e.g. <c>order.placed</c>.</param>
    /// <param name="version">The envelope's <c>version</c>.</param>
    /// <param name="typeInfo">How <c>data</c> is read (from a <c>JsonSerializerContext</c>); mark required members <c>required</c>.</param>
    /// <param name="validate">Further rules: returns null when <c>data</c> is valid, else what is wrong and how to fix it.</param>
    public RecordContracts Register<T>(string type, int version, JsonTypeInfo<T> typeInfo, Func<T, string?>? validate = null)
        where T : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        if (!_contracts.TryAdd((type, version), new Contract(
            data => data.Deserialize(typeInfo) ?? throw new JsonException("data is null"),
            validate is null ? null : data => validate((T)data))))
        {
            throw new ArgumentException($"A contract for '{type}' version {version} is registered already.", nameof(type));
        }

        return this;
    }

    /// <summary>True when (type, version) has a contract.</summary>
    public bool IsRegistered(string type, int version) => _contracts.ContainsKey((type, version));

    /// <summary>Reads a record: its envelope, then its data under the contract.</summary>
    /// <exception cref="RecordContractException">The record is poison; the exception names the reason and the fix.</exception>
    public DecodedRecord Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.IsEmpty)
        {
            throw new RecordContractException(DeadLetterReason.MissingKey, "The record has no key, so it names no entity; publish it with the entity id (e.g. the case or order id) as the key.");
        }

        string entityId;
        try
        {
            entityId = StrictUtf8.GetString(key);
        }
        catch (ArgumentException)
        {
            throw new RecordContractException(DeadLetterReason.Undecodable, "The record key is not UTF-8 text; publish the entity id as a UTF-8 string key.");
        }

        if (entityId.Contains('\0', StringComparison.Ordinal))
        {
            throw new RecordContractException(DeadLetterReason.ContractViolated, $"key: contains U+0000 (NUL) at position {entityId.IndexOf('\0', StringComparison.Ordinal)}, which the journal cannot store (PostgreSQL rejects it in text); remove the NUL character from the entity id.");
        }

        if (value.IsEmpty)
        {
            throw new RecordContractException(DeadLetterReason.Undecodable, "The record has no value (a tombstone?); publish the envelope {\"id\", \"type\", \"version\", \"data\"} as UTF-8 JSON.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(value.ToArray());
        }
        catch (JsonException ex)
        {
            throw new RecordContractException(DeadLetterReason.Undecodable, $"The record value is not JSON ({ex.Message}); publish the envelope {{\"id\", \"type\", \"version\", \"data\"}} as UTF-8 JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new RecordContractException(DeadLetterReason.Undecodable, $"The record value is a JSON {root.ValueKind}, not the envelope object {{\"id\", \"type\", \"version\", \"data\"}}.");
            }

            var id = RequiredString(root, "id", "the business event id, the same whenever the same fact is published again");
            var type = RequiredString(root, "type", "the event type, e.g. order.placed");
            var version = 1;
            if (root.TryGetProperty("version", out var versionElement) && (versionElement.ValueKind != JsonValueKind.Number || !versionElement.TryGetInt32(out version) || version < 1))
            {
                throw new RecordContractException(DeadLetterReason.Undecodable, $"Envelope field 'version' is {versionElement.GetRawText()}; set it to a whole number from 1 (or leave it out for 1).");
            }

            if (!root.TryGetProperty("data", out var data) || data.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            {
                throw new RecordContractException(DeadLetterReason.Undecodable, "Envelope field 'data' is missing; put the event's content in 'data'.");
            }

            // In JSON, U+0000 can only be written as the escape \u0000: look closer only when that appears.
            if (value.IndexOf("\\u0000"u8) >= 0 && (FindNul(root.GetProperty("id"), "id") ?? FindNul(root.GetProperty("type"), "type") ?? FindNul(data, "data")) is { } problem)
            {
                throw new RecordContractException(DeadLetterReason.ContractViolated, $"{problem} (NUL), which the journal cannot store (PostgreSQL rejects it in text and jsonb); remove the NUL character.");
            }

            var payload = Read(type, version, data);
            return new DecodedRecord(entityId, id, type, version, payload, data.Clone());
        }
    }

    /// <summary>Reads <paramref name="data"/> under the contract of (type, version) and validates it: the edge's judgement of new input.</summary>
    /// <exception cref="RecordContractException">No contract, or the data violates it.</exception>
    public object Read(string type, int version, JsonElement data)
    {
        var contract = Find(type, version);
        object payload;
        try
        {
            payload = contract.Read(data);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "data" : $"data{ex.Path.TrimStart('$')}";
            throw new RecordContractException(DeadLetterReason.ContractViolated, $"'{type}' v{version}: {where} does not match the contract ({ex.Message}); fix the publisher or register a new version.");
        }

        if (contract.Validate?.Invoke(payload) is { } problem)
        {
            throw new RecordContractException(DeadLetterReason.ContractViolated, $"'{type}' v{version}: {problem}");
        }

        return payload;
    }

    /// <summary>
    /// Reads journaled <paramref name="data"/> (an entity's recovery) as its contract type,
    /// without validating it: it was judged when it arrived, and a validator tightened since must
    /// not make the entity unrecoverable. A contract whose shape changed reads old data through
    /// a new version (or an upcaster of the journal event), not by rejecting it here.
    /// </summary>
    /// <exception cref="RecordContractException">The contract is no longer registered, or the data no longer deserialises; recovery cannot go on.</exception>
    public object Restore(string type, int version, JsonElement data)
    {
        var contract = Find(type, version);
        try
        {
            return contract.Read(data);
        }
        catch (JsonException ex)
        {
            throw new RecordContractException(DeadLetterReason.ContractViolated, $"A journaled '{type}' v{version} record no longer reads as its contract type ({ex.Message}); keep '{type}' v{version} readable as journaled (register the new shape as a new version) so entities can recover.");
        }
    }

    private Contract Find(string type, int version)
    {
        if (!_contracts.TryGetValue((type, version), out var contract))
        {
            var known = string.Join(", ", _contracts.Keys.Where(k => k.Type == type).Select(k => k.Version).Order());
            throw new RecordContractException(DeadLetterReason.UnknownType, known.Length == 0
                ? $"No contract is registered for type '{type}'; register it (RecordContracts.Register) or stop publishing it to this topic."
                : $"Type '{type}' has no contract for version {version} (registered: {known}); register version {version} or publish a registered version.");
        }

        return contract;
    }

    /// <summary>Where <paramref name="element"/> holds U+0000, in a string value or a property name, or null.</summary>
    private static string? FindNul(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString()!.Contains('\0', StringComparison.Ordinal) ? $"{path}: contains U+0000" : null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name.Contains('\0', StringComparison.Ordinal))
                    {
                        return $"{path}: a property name contains U+0000";
                    }

                    if (FindNul(property.Value, $"{path}.{property.Name}") is { } inside)
                    {
                        return inside;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindNul(item, $"{path}[{index++}]") is { } inside)
                    {
                        return inside;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static string RequiredString(JsonElement root, string name, string meaning)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(element.GetString()))
        {
            throw new RecordContractException(DeadLetterReason.Undecodable, $"Envelope field '{name}' is missing or not a non-empty string; set it to {meaning}.");
        }

        return element.GetString()!;
    }

    private sealed record Contract(Func<JsonElement, object> Read, Func<object, string?>? Validate);
}

/// <summary>A record read under its contract.</summary>
/// <param name="EntityId">The key: the entity it is about.</param>
/// <param name="EventId">The business event id.</param>
/// <param name="Type">The event type.</param>
/// <param name="Version">Its contract version.</param>
/// <param name="Data">The data as its contract type.</param>
/// <param name="RawData">The data as JSON, as journaled.</param>
public sealed record DecodedRecord(string EntityId, string EventId, string Type, int Version, object Data, JsonElement RawData);

/// <summary>A record that cannot be applied (a poison record), with the reason and what would fix it.</summary>
public sealed class RecordContractException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecordContractException(DeadLetterReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>The kind of problem.</summary>
    public DeadLetterReason Reason { get; }
}
