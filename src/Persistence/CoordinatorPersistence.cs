using Akka.Configuration;

namespace Coordinator.Persistence;

/// <summary>The HOCON defaults of Coordinator's persistence plugins (<c>reference.conf</c> of this assembly).</summary>
public static class CoordinatorPersistence
{
    private static readonly Lazy<Config> Defaults = new(static () =>
    {
        using var stream = typeof(CoordinatorPersistence).Assembly.GetManifestResourceStream("Coordinator.Persistence.reference.conf")
            ?? throw new InvalidOperationException("Coordinator.Persistence.reference.conf is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    });

    /// <summary>The plugins' default configuration.</summary>
    public static Config DefaultConfig => Defaults.Value;
}
