using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Coordinator.Host.Tests;

/// <summary>The host as it runs: real Kestrel on an ephemeral loopback port, real HTTP.</summary>
public sealed class HostTests
{
    private static WebApplication BuildHost(params (string Key, string Value)[] settings) => TestHost.Build(settings);

    private static Uri Address(WebApplication app)
        => TestHost.MainAddress(app);

    [Fact]
    public async Task Healthz_OverRealHttp_ReportsTheActorSystemHealthy()
    {
        await using var app = BuildHost();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };

        var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("actor-system").GetProperty("status").GetString());

        await AkkaHostTests.WaitUntilReadyAsync(http);
        await app.StopAsync();
    }

    [Fact]
    public async Task Root_DescribesTheNode()
    {
        await using var app = BuildHost(("Coordinator:SystemName", "node-a"));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };
        using var body = JsonDocument.Parse(await http.GetStringAsync(new Uri("/", UriKind.Relative)));
        Assert.Equal("node-a", body.RootElement.GetProperty("actorSystem").GetString());
        Assert.StartsWith("akka.tcp://node-a@127.0.0.1:", body.RootElement.GetProperty("cluster").GetProperty("address").GetString(), StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Stop_RunsCoordinatedShutdown_AndHealthTurnsUnhealthy()
    {
        var app = BuildHost();
        await app.StartAsync();
        var system = app.Services.GetRequiredService<Akka.Actor.ActorSystem>();

        await app.StopAsync();
        Assert.True(system.WhenTerminated.IsCompleted, "stopping the host must terminate the actor system");
        Assert.NotNull(Akka.Actor.CoordinatedShutdown.Get(system).ShutdownReason);

        var check = new AkkaSystemHealthCheck(system);
        var result = await check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, result.Status);
        await app.DisposeAsync();
    }

    [Theory]
    [InlineData("Coordinator:SystemName", "has spaces", "Coordinator:SystemName")]
    [InlineData("Coordinator:ListenUrls", "ftp://127.0.0.1:21", "Coordinator:ListenUrls")]
    public async Task InvalidOptions_FailTheStart_NamingTheSettingAndTheFix(string key, string value, string named)
    {
        var ex = await TestHost.StartFailureAsync((key, value));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_ChecksTheDefaultSqliteJournal()
    {
        var file = Path.Combine(Path.GetTempPath(), $"coordinator-host-{Guid.NewGuid():N}.db");
        await using var app = BuildHost(("Coordinator:Journal:SqlitePath", file));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };
        await AkkaHostTests.WaitUntilReadyAsync(http);
        using var body = JsonDocument.Parse(await http.GetStringAsync(new Uri("/readyz", UriKind.Relative)));
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("journal").GetProperty("status").GetString());
        Assert.True(File.Exists(file), "the SQLite journal file must be created");
        await app.StopAsync();
    }

    [Fact]
    public async Task Journal_OnPostgres_StartsAndIsReady()
    {
        await using var app = BuildHost(
            ("Coordinator:Journal:Provider", "postgres"),
            ("Coordinator:Journal:PostgresConnectionString", Coordinator.TestKit.TestPostgres.ConnectionString),
            ("Coordinator:Journal:PostgresSchema", $"host_{Environment.ProcessId}"));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };
        await AkkaHostTests.WaitUntilReadyAsync(http);
        await app.StopAsync();
    }

    [Theory]
    [InlineData("Coordinator:Journal:Provider", "oracle", "Coordinator:Journal:Provider")]
    [InlineData("Coordinator:Journal:Provider", "postgres", "Coordinator:Journal:PostgresConnectionString")]
    [InlineData("Coordinator:Journal:MaxBatchEvents", "0", "Coordinator:Journal:MaxBatchEvents")]
    [InlineData("Coordinator:Journal:PostgresLockTimeout", "-00:00:01", "Coordinator:Journal:PostgresLockTimeout")]
    public async Task InvalidJournalOptions_FailTheStart_NamingTheSetting(string key, string value, string named)
    {
        var ex = await TestHost.StartFailureAsync((key, value));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListenUrls_DefaultToLoopback()
    {
        var options = new CoordinatorOptions();
        Assert.All(options.ListenUrls.Split(';'), url => Assert.True(new Uri(url).IsLoopback, $"{url} must be loopback by default"));
    }

    [Fact]
    public void ListenUrls_NotHttp_IsRejected()
    {
        var result = new CoordinatorOptionsValidator().Validate(null, new CoordinatorOptions { ListenUrls = "tcp://127.0.0.1:1" });
        Assert.True(result.Failed);
        Assert.Contains("Coordinator:ListenUrls", result.FailureMessage, StringComparison.Ordinal);
    }
}
