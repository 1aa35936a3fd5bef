namespace Coordinator.Connectors;

/// <summary>
/// Marks the connectors assembly. Connectors (HTTP, CRM, payments, messaging) and their
/// supervision tree arrive with the connector issue; the project exists now so that the
/// dependency direction Contracts ← Actors ← Connectors ← Host is fixed from the start.
/// </summary>
public static class ConnectorsAssembly
{
    /// <summary>The assembly's name, for diagnostics.</summary>
    public static string Name => typeof(ConnectorsAssembly).Assembly.GetName().Name!;
}
