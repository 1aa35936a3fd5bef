using Coordinator.Connectors;
using Coordinator.Connectors.Http;
using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>
/// The connectors declared under <c>Coordinator:Connectors:{name}</c> (kind, base URL, headers,
/// operations, failure overrides, policy), built through the <see cref="ConnectorRegistry"/> so a
/// kind registered by an extension attaches without touching the core.
/// </summary>
internal static class ConnectorsConfiguration
{
    public const string Section = "Coordinator:Connectors";

    /// <summary>Builds every declared connector, or fails the start naming each bad setting and its fix.</summary>
    /// <exception cref="OptionsValidationException">A declaration is invalid.</exception>
    public static IReadOnlyDictionary<string, IConnector> Build(IConfiguration configuration, ConnectorRegistry registry)
    {
        var section = configuration.GetSection(Section);
        var declared = new Dictionary<string, HttpConnectorOptions>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var child in section.GetChildren())
        {
            try
            {
                declared[child.Key] = child.Get<HttpConnectorOptions>(static o => o.ErrorOnUnknownConfiguration = true) ?? new HttpConnectorOptions();
            }
            catch (InvalidOperationException ex)
            {
                errors.Add($"{Section}:{child.Key} could not be read: {ex.Message} Check the spelling against the connector settings in the README.");
            }
        }

        if (errors.Count == 0)
        {
            try
            {
                return registry.Build(declared);
            }
            catch (ArgumentException ex)
            {
                errors.AddRange(ex.Message.Split(" (Parameter", 2)[0].Split(Environment.NewLine));
            }
        }

        throw new OptionsValidationException(Section, typeof(HttpConnectorOptions), errors);
    }
}
