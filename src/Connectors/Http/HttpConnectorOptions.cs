using Coordinator.Contracts;

namespace Coordinator.Connectors.Http;

/// <summary>One HTTP connector, as declared under <c>Coordinator:Connectors:{name}</c>.</summary>
public sealed class HttpConnectorOptions
{
    /// <summary>
    /// Which factory builds it: <c>http</c> (operations as declared), or a domain kind that
    /// brings its operations with it (<c>crm</c>, <c>payments</c>, <c>messaging</c>); declared
    /// operations add to or replace a kind's. <value>Default: http.</value>
    /// </summary>
    public string Kind { get; set; } = "http";

    /// <summary>The API's base URL, e.g. <c>https://api.example.com/v1</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Headers sent with every call; values may use <c>{env:NAME}</c>.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The environment variable holding a bearer token for <c>Authorization</c>; null for none.</summary>
    public string? BearerTokenVariable { get; set; }

    /// <summary>Operations by name.</summary>
    public Dictionary<string, HttpOperation> Operations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Failure-table overrides: outcome (e.g. <c>http-409</c>) → lane.</summary>
    public Dictionary<string, FailureClass> Failures { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Supervision: bulkhead, rate, retries, circuit.</summary>
    public ConnectorPolicy Policy { get; set; } = new();

    /// <summary>Every problem with the values, each naming the setting and the fix.</summary>
    public IEnumerable<string> Validate(string name)
    {
        var at = $"Coordinator:Connectors:{name}";
        if (string.IsNullOrWhiteSpace(BaseUrl) || !Uri.TryCreate(BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return $"{at}:BaseUrl is '{BaseUrl}'; set the API's absolute http(s) URL, e.g. https://api.example.com/v1.";
        }

        if (Operations.Count == 0)
        {
            yield return $"{at}:Operations is empty; declare at least one operation (Method, Path, Body, Output).";
        }

        foreach (var (op, operation) in Operations)
        {
            if (operation.Method is not ("GET" or "POST" or "PUT" or "PATCH" or "DELETE"))
            {
                yield return $"{at}:Operations:{op}:Method is '{operation.Method}'; use GET, POST, PUT, PATCH or DELETE.";
            }

            if (operation.Verify is { } verify && !Operations.ContainsKey(verify))
            {
                yield return $"{at}:Operations:{op}:Verify names '{verify}', which is not an operation; declare it or remove Verify.";
            }

            if (operation.Expect.Count > 0 && operation.Verify is null)
            {
                yield return $"{at}:Operations:{op}:Expect needs Verify (the read-back operation whose output it checks).";
            }
        }

        foreach (var error in Policy.Validate(name))
        {
            yield return error;
        }
    }
}

/// <summary>One operation of an HTTP connector.</summary>
public sealed class HttpOperation
{
    /// <summary>GET, POST, PUT, PATCH or DELETE. <value>Default: POST.</value></summary>
    public string Method { get; set; } = "POST";

    /// <summary>Path template below the base URL, e.g. <c>/records/{input.id}</c>.</summary>
    public string Path { get; set; } = "/";

    /// <summary>JSON body template, e.g. <c>{"amount": "{input.amount}"}</c>; null for no body.</summary>
    public string? Body { get; set; }

    /// <summary>Response mapping: output name → dotted path in the response JSON (<c>data.id</c>). A missing path is a contract failure.</summary>
    public Dictionary<string, string> Output { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The read-back operation that verifies this one's effect; null for none.</summary>
    public string? Verify { get; set; }

    /// <summary>What the read-back must show: its output name → template of the expected value (e.g. <c>{input.amount}</c>).</summary>
    public Dictionary<string, string> Expect { get; set; } = new(StringComparer.Ordinal);
}
