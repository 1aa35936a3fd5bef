using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
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
            builder.Configuration["Coordinator:Ingress:Enabled"] = "false";
            builder.Configuration["Coordinator:Admin:ListenUrl"] = $"http://127.0.0.1:{FreePort()}";
            builder.Configuration["Coordinator:Admin:TokenFile"] = Path.Combine(Path.GetTempPath(), $"coordinator-admin-{Guid.NewGuid():N}");
            foreach (var (key, value) in settings)
            {
                builder.Configuration[key] = value;
            }
        });

    /// <summary>The host's main address (not the operator API's).</summary>
    public static Uri MainAddress(WebApplication app)
    {
        var admin = new Uri(app.Configuration["Coordinator:Admin:ListenUrl"]!).Port;
        return new(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Single(a => new Uri(a).Port != admin));
    }

    /// <summary>The repository's sample workflows folder.</summary>
    public static string RepositoryWorkflows()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "workflows")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("the repository's workflows folder"), "workflows");
    }

    /// <summary>A loopback port free now (the operator API needs a known port: it is told apart by it).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

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
