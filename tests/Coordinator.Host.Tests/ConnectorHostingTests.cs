using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Coordinator.Connectors;
using Coordinator.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Tests;

/// <summary>Connectors declared in the host's configuration, started under supervision, calling a real HTTP server.</summary>
public sealed class ConnectorHostingTests
{
    private static WebApplication BuildHost(params (string Key, string Value)[] settings) => TestHost.Build(settings);

    [Fact]
    public async Task DeclaredConnectors_StartUnderSupervision_AndCallWithTheConfiguredHeadersTokenAndKey()
    {
        var seen = new ConcurrentQueue<(string? Auth, string? Tenant, string? Key)>();
        var apiBuilder = WebApplication.CreateSlimBuilder();
        apiBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        apiBuilder.Logging.ClearProviders();
        await using var api = apiBuilder.Build();
        api.MapPost("/charges", async (HttpContext context) =>
        {
            seen.Enqueue((context.Request.Headers.Authorization, context.Request.Headers["X-Tenant"], context.Request.Headers["Idempotency-Key"]));
            var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            return Results.Json(new { id = "ch_1", amount = (long)body["amount"]!, status = "succeeded" });
        });
        api.MapGet("/charges/{id}", (string id) => Results.Json(new { id, amount = 990, status = "succeeded" }));
        var hooks = new ConcurrentQueue<(string Path, string Body)>();
        api.MapPost("/hooks/{id}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            hooks.Enqueue((context.Request.Path.Value!, await reader.ReadToEndAsync()));
            return Results.Ok();
        });
        await api.StartAsync();
        var apiUrl = api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var variable = $"COORDINATOR_TEST_TOKEN_{Environment.ProcessId}";
        Environment.SetEnvironmentVariable(variable, "s3cret");
        try
        {
            await using var app = BuildHost(
                ("Coordinator:Connectors:payments:Kind", "payments"),
                ("Coordinator:Connectors:payments:BaseUrl", apiUrl),
                ("Coordinator:Connectors:payments:BearerTokenVariable", variable),
                ("Coordinator:Connectors:payments:Headers:X-Tenant", "acme"),
                ("Coordinator:Connectors:payments:Policy:MaxAttempts", "2"),
                ("Coordinator:Connectors:chat:Kind", "messaging"),
                ("Coordinator:Connectors:chat:BaseUrl", $"{apiUrl}/hooks/T01-abc"));
            await app.StartAsync();

            using var http = new HttpClient { BaseAddress = TestHost.MainAddress(app) };
            using var root = JsonDocument.Parse(await http.GetStringAsync(new Uri("/", UriKind.Relative)));
            Assert.Equal(["chat", "payments"], root.RootElement.GetProperty("connectors").EnumerateArray().Select(e => e.GetString()));

            var system = app.Services.GetRequiredService<ActorSystem>();
            var payments = ConnectorsExtension.Find(system)!.Supervisor("payments")!;
            var request = new ConnectorRequest("payments", "charge", ConnectorRequest.KeyFor("case-9", "charge"), "case-9", new JsonObject { ["amount"] = 990, ["currency"] = "EUR", ["customer"] = "cus_9" });
            var answer = await payments.Ask<object>(new Execute(request), TimeSpan.FromSeconds(30));
            var reply = answer as ActionSucceeded ?? throw new Xunit.Sdk.XunitException($"expected success, got {answer}");

            Assert.True(reply.Verified);
            Assert.Equal("ch_1", (string?)reply.Output["id"]);
            Assert.Equal(("Bearer s3cret", "acme", request.IdempotencyKey), Assert.Single(seen));
            Assert.Equal(CircuitState.Closed, (await payments.Ask<CircuitView>(GetCircuit.Instance, TimeSpan.FromSeconds(10))).State);

            // The messaging kind posts to the webhook URL exactly as configured.
            var chat = ConnectorsExtension.Find(system)!.Supervisor("chat")!;
            await chat.Ask<ActionSucceeded>(new Execute(new ConnectorRequest("chat", "post", "case-9/notify", "case-9", new JsonObject { ["text"] = "charged 990" })), TimeSpan.FromSeconds(30));
            var hook = Assert.Single(hooks);
            Assert.Equal("/hooks/T01-abc", hook.Path);
            Assert.Equal("charged 990", (string?)JsonNode.Parse(hook.Body)!["text"]);
            await app.StopAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Theory]
    [InlineData("Coordinator:Connectors:payments:Kind=payments", "Coordinator:Connectors:payments:BaseUrl")]
    [InlineData("Coordinator:Connectors:fax:Kind=fax;Coordinator:Connectors:fax:BaseUrl=http://127.0.0.1:9", "Coordinator:Connectors:fax:Kind is 'fax'")]
    [InlineData("Coordinator:Connectors:payments:Kind=payments;Coordinator:Connectors:payments:BaseUri=http://127.0.0.1:9", "BaseUri")]
    [InlineData("Coordinator:Connectors:payments:Kind=payments;Coordinator:Connectors:payments:BaseUrl=http://127.0.0.1:9;Coordinator:Connectors:payments:Policy:MaxAttempts=0", "Coordinator:Connectors:payments:Policy:MaxAttempts")]
    [InlineData("Coordinator:Connectors:payments:Kind=payments;Coordinator:Connectors:payments:BaseUrl=http://127.0.0.1:9;Coordinator:Connectors:payments:BearerTokenVariable=COORDINATOR_TEST_UNSET_TOKEN", "COORDINATOR_TEST_UNSET_TOKEN")]
    public async Task InvalidConnectorDeclarations_FailTheStart_NamingTheSetting(string settings, string named)
    {
        var ex = await TestHost.StartFailureAsync([.. settings.Split(';').Select(s => s.Split('=', 2)).Select(p => (p[0], p[1]))]);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
