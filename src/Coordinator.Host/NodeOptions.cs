using Akka.Actor;
using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>
/// This node's place in the Akka cluster: section <c>Coordinator:Cluster</c>. With no seed
/// nodes it forms a one-node cluster by joining itself, which is the embedded default.
/// </summary>
public sealed class NodeOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator:Cluster";

    /// <summary>The address remoting binds to. Loopback by default; a container sets its pod IP. <value>Default: <c>127.0.0.1</c>.</value></summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The address other nodes reach this one at, when it differs from <see cref="Hostname"/> (NAT, containers).</summary>
    public string? PublicHostname { get; set; }

    /// <summary>The remoting port; 0 picks a free one (tests). <value>Default: <c>4053</c>.</value></summary>
    public int Port { get; set; } = 4053;

    /// <summary>
    /// Addresses of the nodes to join, e.g. <c>akka.tcp://coordinator@10.0.0.5:4053</c>. Empty:
    /// this node joins itself and forms a one-node cluster.
    /// </summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>This node's cluster roles. <value>Default: <c>coordinator</c>.</value></summary>
    public List<string> Roles { get; set; } = ["coordinator"];
}

/// <summary>Checks <see cref="NodeOptions"/> at start, naming the setting and the fix.</summary>
internal sealed class NodeOptionsValidator(IOptions<CoordinatorOptions> coordinator) : IValidateOptions<NodeOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Hostname))
        {
            errors.Add("Coordinator:Cluster:Hostname is empty; set the address remoting binds to, e.g. 127.0.0.1.");
        }

        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"Coordinator:Cluster:Port is {options.Port}; use 0 (any free port) to 65535, e.g. 4053.");
        }

        for (var i = 0; i < options.SeedNodes.Count; i++)
        {
            var seed = options.SeedNodes[i];
            if (!Address.TryParse(seed, out var address) || address.Host is null || address.Port is null)
            {
                errors.Add($"Coordinator:Cluster:SeedNodes:{i} is '{seed}', not an Akka address; write akka.tcp://{coordinator.Value.SystemName}@host:4053.");
            }
            else if (address.System != coordinator.Value.SystemName)
            {
                errors.Add($"Coordinator:Cluster:SeedNodes:{i} names actor system '{address.System}', but this node is '{coordinator.Value.SystemName}' (Coordinator:SystemName); nodes of one cluster share the name.");
            }
        }

        if (options.Roles.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Coordinator:Cluster:Roles has an empty role; remove it or name it, e.g. coordinator.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
