using Coordinator.Connectors.Http;
using Coordinator.Contracts;

namespace Coordinator.Connectors.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Registry_BuildsDeclaredConnectorsByKind_AndANewKindAttachesWithoutTheCore()
    {
        var registry = new ConnectorRegistry().AddKind("ledger", (name, options) => new HttpConnector(name, options));
        var built = registry.Build(new Dictionary<string, HttpConnectorOptions>
        {
            ["crm"] = new() { Kind = "crm", BaseUrl = "https://crm.example.com/api" },
            ["chat"] = new() { Kind = "messaging", BaseUrl = "https://chat.example.com/hooks/T1" },
            ["books"] = new() { Kind = "ledger", BaseUrl = "https://books.example.com", Operations = { ["post"] = new() { Path = "/entries", Body = """{"amount": "{input.amount}"}""" } } },
        });

        Assert.Equal(["books", "chat", "crm"], built.Keys.Order());
        foreach (var connector in built.Values)
        {
            connector.Dispose();
        }
    }

    [Fact]
    public void Registry_ListsEveryProblem_NamingTheSettingAndTheFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ConnectorRegistry().Build(new Dictionary<string, HttpConnectorOptions>
        {
            ["a"] = new() { Kind = "smtp", BaseUrl = "https://x" },
            ["b"] = new() { BaseUrl = "ftp://x", Operations = { ["op"] = new() { Method = "FETCH", Verify = "missing", Body = "{not json" } }, Policy = { MaxAttempts = 0 } },
            ["c"] = new() { Kind = "payments", BaseUrl = "https://pay.example.com", BearerTokenVariable = "COORDINATOR_TEST_UNSET_TOKEN" },
        }));

        Assert.Contains("Coordinator:Connectors:a:Kind is 'smtp'; use one of: crm, http, messaging, payments.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Coordinator:Connectors:b:BaseUrl is 'ftp://x'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Coordinator:Connectors:b:Operations:op:Method is 'FETCH'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Coordinator:Connectors:b:Operations:op:Verify names 'missing'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Coordinator:Connectors:b:Policy:MaxAttempts is 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("export COORDINATOR_TEST_UNSET_TOKEN", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("timeout", FailureClass.Transient)]
    [InlineData("refused", FailureClass.Transient)]
    [InlineData("http-429", FailureClass.Transient)]
    [InlineData("http-503", FailureClass.Transient)]
    [InlineData("http-401", FailureClass.Infrastructure)]
    [InlineData("http-403", FailureClass.Infrastructure)]
    [InlineData("http-422", FailureClass.Data)]
    [InlineData("http-404", FailureClass.Data)]
    [InlineData("contract", FailureClass.Data)]
    [InlineData("verify-mismatch", FailureClass.Data)]
    [InlineData("circuit-open", FailureClass.Infrastructure)]
    public void DefaultFailureTable_MatchesTheReadme(string outcome, FailureClass expected)
        => Assert.Equal(expected, FailureTable.Default.Classify(outcome).Class);

    [Fact]
    public void FailureTable_ConnectorOverride_ReplacesOneEntry()
    {
        var table = FailureTable.Default.With(new Dictionary<string, FailureClass> { ["http-409"] = FailureClass.Transient });
        Assert.Equal(FailureClass.Transient, table.Classify("http-409").Class);
        Assert.Equal(FailureClass.Data, table.Classify("http-422").Class);
        Assert.Throws<ArgumentException>(() => FailureTable.Default.With(new Dictionary<string, FailureClass> { ["teapot"] = FailureClass.Data }));
    }

    [Fact]
    public async Task RefusedConnection_IsTransient()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var connector = new HttpConnector("payments", DomainConnectors.Payments(new HttpConnectorOptions { BaseUrl = $"http://127.0.0.1:{port}" }));
        var ex = await Assert.ThrowsAsync<ConnectorException>(() => connector.CallAsync(new ConnectorRequest("payments", "charge", "k", "c", new() { ["amount"] = 1, ["currency"] = "EUR", ["customer"] = "x" }), CancellationToken.None));
        Assert.Equal(FailureClass.Transient, ex.FailureClass);
        Assert.Equal("refused", ex.Outcome);
    }
}
