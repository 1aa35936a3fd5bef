using Microsoft.AspNetCore.Builder;

namespace Coordinator.Host.Tests;

/// <summary>The host as the tests run it: an ephemeral loopback port, a fresh SQLite file, quiet logs, and the given settings.</summary>
internal static class TestHost
{
    public static WebApplication Build(params (string Key, string Value)[] settings)
        => CoordinatorHost.Build([], builder =>
        {
            builder.Configuration["Coordinator:ListenUrls"] = "http://127.0.0.1:0";
            builder.Configuration["Coordinator:Cluster:Port"] = "0";
            builder.Configuration["Coordinator:Journal:SqlitePath"] = Path.Combine(Path.GetTempPath(), $"coordinator-host-{Guid.NewGuid():N}.db");
            builder.Configuration["Logging:LogLevel:Default"] = "Warning";
            foreach (var (key, value) in settings)
            {
                builder.Configuration[key] = value;
            }
        });
}
