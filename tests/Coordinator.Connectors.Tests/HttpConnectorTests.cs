using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Coordinator.Connectors.Http;
using Coordinator.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Coordinator.Connectors.Tests;

/// <summary>The HTTP connector's templates, failures and clock, against a scripted transport.</summary>
public sealed class HttpConnectorTests
{
    private const string Secret = "sk_live_4f9a8c7e2b1d";
    private static readonly string SecretVariable = $"COORDINATOR_TEST_SECRET_{Environment.ProcessId}";
    private static readonly string BodyVariable = $"COORDINATOR_TEST_BODY_{Environment.ProcessId}";

    static HttpConnectorTests()
    {
        Environment.SetEnvironmentVariable(SecretVariable, Secret);
        Environment.SetEnvironmentVariable(BodyVariable, "from-the-environment");
    }

    private static HttpConnector Connector(HttpOperation operation, ScriptedHandler handler, TimeProvider? time = null)
        => new("api", new HttpConnectorOptions { BaseUrl = "https://api.example.com/v1", Operations = { ["op"] = operation } }, handler, time);

    private static ConnectorRequest Request(JsonObject? input = null) => new("api", "op", "key-1", "corr-1", input ?? []);

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    public async Task Call_PathInputIsADotOrEmptySegment_FailsAsDataNamingTheField(string id)
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        using var connector = Connector(new HttpOperation { Method = "GET", Path = "/records/{input.id}/notes" }, handler);

        var failure = await Assert.ThrowsAsync<ConnectorException>(() => connector.CallAsync(Request(new() { ["id"] = id }), CancellationToken.None));

        Assert.Equal(FailureClass.Data, failure.FailureClass);
        Assert.Contains("input.id", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'id'", failure.Fix, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Fact]
    public async Task Call_PathInputWithDotsInside_IsSentAsOneSegment()
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        using var connector = Connector(new HttpOperation { Method = "GET", Path = "/records/{input.id}" }, handler);

        await connector.CallAsync(Request(new() { ["id"] = "..a/b.." }), CancellationToken.None);

        Assert.Equal("https://api.example.com/v1/records/..a%2Fb..", Assert.Single(handler.Requests).AbsoluteUri);
    }

    [Fact]
    public async Task Call_BodyValueIsExactlyAnEnvPlaceholder_SendsTheVariable()
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        using var connector = Connector(new HttpOperation { Path = "/notes", Body = $$"""{"source":"{env:{{BodyVariable}}}","n":"{input.n}"}""" }, handler);

        await connector.CallAsync(Request(new() { ["n"] = 3 }), CancellationToken.None);

        Assert.Equal("""{"source":"from-the-environment","n":3}""", Assert.Single(handler.Bodies));
    }

    [Fact]
    public void Constructor_EnvVariableOfAPathOrBodyIsNotSet_FailsTheStartNamingTheSettingAndTheVariable()
    {
        var missing = $"COORDINATOR_TEST_UNSET_{Guid.NewGuid():N}";
        var options = new HttpConnectorOptions
        {
            BaseUrl = "https://api.example.com",
            Operations = { ["op"] = new HttpOperation { Path = $"/tenants/{{env:{missing}}}/notes", Body = $$"""{"tenant":"{env:{{missing}}}"}""" } },
        };

        var failure = Assert.Throws<ArgumentException>(() => new HttpConnector("api", options));

        Assert.Contains($"Coordinator:Connectors:api:Operations:op:Path uses {{env:{missing}}}, which is not set; export {missing}", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"Coordinator:Connectors:api:Operations:op:Body uses {{env:{missing}}}, which is not set; export {missing}", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_RetryAfterAsAnHttpDate_IsReadAgainstTheInjectedClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var handler = new ScriptedHandler(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(7));
            return response;
        });
        using var connector = Connector(new HttpOperation { Path = "/notes" }, handler, time);

        var failure = await Assert.ThrowsAsync<ConnectorException>(() => connector.CallAsync(Request(), CancellationToken.None));

        Assert.Equal(("http-429", FailureClass.Transient), (failure.Outcome, failure.FailureClass));
        Assert.Equal(TimeSpan.FromSeconds(7), failure.RetryAfter);
    }

    [Fact]
    public async Task Call_RetryAfterAsAnHttpDateInThePast_AsksForNoWait()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var handler = new ScriptedHandler(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(time.GetUtcNow().AddSeconds(-30));
            return response;
        });
        using var connector = Connector(new HttpOperation { Path = "/notes" }, handler, time);

        var failure = await Assert.ThrowsAsync<ConnectorException>(() => connector.CallAsync(Request(), CancellationToken.None));

        Assert.Equal(TimeSpan.Zero, failure.RetryAfter);
    }

    [Fact]
    public async Task Call_FailureMessage_NamesTheOperationAndTemplate_WithoutTheResolvedUrlItsQueryOrAnySecret()
    {
        // The system echoes the URL and the credentials it was sent, then a long body.
        var handler = new ScriptedHandler(request => new HttpResponseMessage(HttpStatusCode.InternalServerError)
        {
            Content = new StringContent($"bad request to {request.RequestUri} with {request.Headers.Authorization} and key {Secret}\n{new string('x', 5_000)}"),
        });
        var options = new HttpConnectorOptions
        {
            BaseUrl = "https://api.example.com/v1",
            BearerTokenVariable = SecretVariable,
            Headers = { ["X-Api-Key"] = $"{{env:{SecretVariable}}}" },
            Operations = { ["op"] = new HttpOperation { Path = $"/accounts/{{env:{SecretVariable}}}/charges?customer={{input.customer}}", Body = $$"""{"key":"{env:{{SecretVariable}}}"}""" } },
        };
        using var connector = new HttpConnector("api", options, handler);

        var failure = await Assert.ThrowsAsync<ConnectorException>(() => connector.CallAsync(Request(new() { ["customer"] = "jane.doe@example.com" }), CancellationToken.None));

        Assert.DoesNotContain(Secret, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("jane.doe", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"POST op (/accounts/{{env:{SecretVariable}}}/charges?…) answered 500", failure.Message, StringComparison.Ordinal);
        Assert.True(failure.Message.Length < 600, $"the body excerpt is bounded, but the message is {failure.Message.Length} characters");
    }

    [Fact]
    public async Task Create_FromAnHttpClientFactory_CallsThroughTheFactorysHandlers_AndLeavesTheClientToItsOwner()
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"id":"n_1"}""") });
        var services = new ServiceCollection();
        services.AddHttpClient("api").ConfigurePrimaryHttpMessageHandler(() => handler);
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        var options = new HttpConnectorOptions { BaseUrl = "https://api.example.com/v1", Operations = { ["op"] = new HttpOperation { Path = "/notes/{input.n}" } } };

        using (var connector = HttpConnector.Create(factory, "api", options))
        {
            await connector.CallAsync(Request(new() { ["n"] = 3 }), CancellationToken.None);
        }

        using var again = HttpConnector.Create(factory, "api", options); // the factory's handler outlives a disposed connector
        await again.CallAsync(Request(new() { ["n"] = 4 }), CancellationToken.None);
        Assert.Equal(["https://api.example.com/v1/notes/3", "https://api.example.com/v1/notes/4"], handler.Requests.Select(u => u.AbsoluteUri));
    }

    [Fact]
    public void Redact_SecretsQueryStringsAndLength_AreRemovedFromAnExcerpt()
    {
        var excerpt = HttpConnector.Excerpt($"GET https://x.test/a?token=abc&u=1 failed for {Secret}\r\nline two {new string('y', 1_000)}", [Secret]);

        Assert.DoesNotContain(Secret, excerpt, StringComparison.Ordinal);
        Assert.DoesNotContain("token=abc", excerpt, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", excerpt, StringComparison.Ordinal);
        Assert.True(excerpt.Length <= HttpConnector.ExcerptLength + 1, excerpt);
        Assert.StartsWith("GET https://x.test/a?… failed for ***", excerpt, StringComparison.Ordinal);
    }
}
