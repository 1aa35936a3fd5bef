using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// The validation failure of a host with <paramref name="settings"/>. Options are checked when
    /// the host is built (Akka.Hosting reads them for the actor system's set-up) or at the latest
    /// when it starts: either way nothing runs.
    /// </summary>
    public static Task<OptionsValidationException> StartFailureAsync(params (string Key, string Value)[] settings)
        => Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = Build(settings);
            await app.StartAsync();
        });
}
