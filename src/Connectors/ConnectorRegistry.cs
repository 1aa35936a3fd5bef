using Coordinator.Connectors.Http;

namespace Coordinator.Connectors;

/// <summary>
/// Connector kinds by name, and the connectors declared in configuration built from them. A
/// kind is a factory from (name, options) to a connector, so a new one attaches with one
/// <see cref="AddKind"/> call and no change to the core. Built in: <c>http</c> (operations as
/// declared) and the domain kinds <c>crm</c>, <c>payments</c> and <c>messaging</c>, which bring
/// their operations and read-backs and accept declared ones on top.
/// </summary>
public sealed class ConnectorRegistry
{
    private readonly Dictionary<string, Func<string, HttpConnectorOptions, IConnector>> _kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["http"] = (name, options) => new HttpConnector(name, options),
        ["crm"] = (name, options) => new HttpConnector(name, DomainConnectors.Crm(options)),
        ["payments"] = (name, options) => new HttpConnector(name, DomainConnectors.Payments(options)),
        ["messaging"] = (name, options) => new HttpConnector(name, DomainConnectors.Messaging(options)),
    };

    /// <summary>Registers kind <paramref name="kind"/>.</summary>
    public ConnectorRegistry AddKind(string kind, Func<string, HttpConnectorOptions, IConnector> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(factory);
        _kinds[kind] = factory;
        return this;
    }

    /// <summary>Builds every declared connector (section <c>Coordinator:Connectors</c>: name → options).</summary>
    /// <exception cref="ArgumentException">A kind is unknown or options are invalid; every problem is listed, each naming its setting.</exception>
    public IReadOnlyDictionary<string, IConnector> Build(IReadOnlyDictionary<string, HttpConnectorOptions> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var built = new Dictionary<string, IConnector>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var (name, options) in declared)
        {
            if (!_kinds.TryGetValue(options.Kind, out var factory))
            {
                errors.Add($"Coordinator:Connectors:{name}:Kind is '{options.Kind}'; use one of: {string.Join(", ", _kinds.Keys.Order())}.");
                continue;
            }

            try
            {
                built[name] = factory(name, options);
            }
            catch (ArgumentException ex)
            {
                errors.Add(ex.Message.Split(" (Parameter", 2)[0]);
            }
        }

        if (errors.Count > 0)
        {
            foreach (var connector in built.Values)
            {
                connector.Dispose();
            }

            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(declared));
        }

        return built;
    }
}
