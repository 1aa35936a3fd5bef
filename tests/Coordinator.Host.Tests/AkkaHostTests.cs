using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Coordinator.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Coordinator.Host.Tests;

/// <summary>The host's Akka.NET side: a one-node cluster on loopback remoting, ready when Up, shut down through CoordinatedShutdown.</summary>
public sealed class AkkaHostTests
{
    private static Uri Address(WebApplication app)
        => TestHost.MainAddress(app);

    internal static async Task WaitUntilReadyAsync(HttpClient http)
    {
        var last = string.Empty;
        var ready = Eventually.TrueAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
                last = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.OK;
            },
            "/readyz to answer 200 once the node is Up",
            TimeSpan.FromSeconds(20));
        try
        {
            await ready;
        }
        catch (TestKitException ex)
        {
            throw new TestKitException($"{ex.Message} Last answer: {last}");
        }

        using var body = JsonDocument.Parse(last);
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("cluster-member").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("journal").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_WithoutSeedNodes_FormsAOneNodeClusterOnLoopback()
    {
        await using var app = TestHost.Build(("Coordinator:SystemName", "solo"));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };
        await WaitUntilReadyAsync(http);

        using var root = JsonDocument.Parse(await http.GetStringAsync(new Uri("/", UriKind.Relative)));
        var cluster = root.RootElement.GetProperty("cluster");
        Assert.Equal("Up", cluster.GetProperty("status").GetString());
        var address = cluster.GetProperty("address").GetString()!;
        Assert.StartsWith("akka.tcp://solo@127.0.0.1:", address, StringComparison.Ordinal);
        Assert.NotEqual("akka.tcp://solo@127.0.0.1:0", address);
        Assert.Equal(["coordinator"], cluster.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(1, cluster.GetProperty("members").GetArrayLength());
        Assert.Equal(address, cluster.GetProperty("leader").GetString());
        await app.StopAsync();
    }

    [Fact]
    public async Task Stop_RunsAkkasCoordinatedShutdown_LeavingTheCluster()
    {
        var app = TestHost.Build();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };
        await WaitUntilReadyAsync(http);
        var system = app.Services.GetRequiredService<ActorSystem>();
        var cluster = Cluster.Get(system);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberRemoved(() => removed.TrySetResult());

        await app.StopAsync();
        await removed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(system.WhenTerminated.IsCompleted, "stopping the host must terminate the Akka actor system");
        Assert.NotNull(CoordinatedShutdown.Get(system).ShutdownReason);
        await app.DisposeAsync();
    }

    [Theory]
    [InlineData("Coordinator:Cluster:Port", "70000", "Coordinator:Cluster:Port")]
    [InlineData("Coordinator:Cluster:Hostname", " ", "Coordinator:Cluster:Hostname")]
    [InlineData("Coordinator:Cluster:SeedNodes:0", "127.0.0.1:4053", "Coordinator:Cluster:SeedNodes:0")]
    [InlineData("Coordinator:Cluster:SeedNodes:0", "akka.tcp://elsewhere@127.0.0.1:4053", "Coordinator:SystemName")]
    [InlineData("Coordinator:Cluster:Roles:0", "", "Coordinator:Cluster:Roles")]
    public async Task InvalidClusterOptions_FailTheStart_NamingTheSettingAndTheFix(string key, string value, string named)
    {
        var ex = await TestHost.StartFailureAsync((key, value));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Journal_AkkaSqlProvider_OnSqlite_IsReady()
    {
        await using var app = TestHost.Build(("Coordinator:Journal:Provider", "akka-sql"));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = Address(app) };
        await WaitUntilReadyAsync(http);
        await app.StopAsync();
    }
}
