using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coordinator.Contracts;

namespace Coordinator.Connectors.Http;

/// <summary>
/// A connector to an HTTP API, described entirely by configuration: per operation a method, a
/// URL template, a JSON body template, a response mapping and a read-back operation for
/// verification; headers and auth from configuration or the environment. Templates refer to
/// <c>{input.name}</c> (the step's input; dotted paths reach nested values), <c>{output.name}</c>
/// (in a read-back: the action's mapped output), <c>{key}</c> (the idempotency key),
/// <c>{correlation}</c> and <c>{env:NAME}</c>. A JSON string that is exactly one placeholder is
/// replaced by the value with its JSON type; elsewhere values are inserted as text (URL-encoded
/// in paths). Every <c>{env:NAME}</c> is read once, at start, and a variable that is not set
/// fails the start. An input cannot make a path segment empty, <c>.</c> or <c>..</c> (which
/// would address another resource): that is a data failure naming the field. Failure messages
/// (journaled and logged) name the operation and its path template, never the resolved URL; they
/// carry a bounded excerpt of the response with query strings and every resolved
/// <c>{env:…}</c> value and token redacted.
/// </summary>
public sealed partial class HttpConnector : IConnector
{
    private readonly HttpConnectorOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly FailureTable _failures;
    private readonly Dictionary<string, JsonNode?> _bodies = new(StringComparer.Ordinal);
    private readonly string? _token;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);
    private readonly List<string> _secrets = [];

    /// <summary>
    /// Creates connector <paramref name="name"/>; <paramref name="handler"/> is for tests and custom transports;
    /// <paramref name="timeProvider"/> is the clock an HTTP-date <c>Retry-After</c> is read against (default: the system clock).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each setting and its fix.</exception>
    public HttpConnector(string name, HttpConnectorOptions options, HttpMessageHandler? handler = null, TimeProvider? timeProvider = null)
        : this(name, options, timeProvider, () => new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(5) }, disposeHandler: true), ownsClient: true)
    {
    }

    /// <summary>
    /// Creates connector <paramref name="name"/> over <paramref name="client"/>, typically from an
    /// <see cref="IHttpClientFactory"/> (see <see cref="Create(IHttpClientFactory, string, HttpConnectorOptions, TimeProvider?)"/>), whose
    /// handlers (pooling, DNS refresh, per-attempt resilience) it then uses. The connector sets the
    /// client's base address and takes its timeout over (each attempt has its own,
    /// <see cref="ConnectorPolicy.Timeout"/>); it does not dispose the client, whose owner does.
    /// Retries and the circuit stay with the connector's supervisor, journaled.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each setting and its fix.</exception>
    public HttpConnector(string name, HttpConnectorOptions options, HttpClient client, TimeProvider? timeProvider = null)
        : this(name, options, timeProvider, () => client ?? throw new ArgumentNullException(nameof(client)), ownsClient: false)
    {
    }

    /// <summary>Creates connector <paramref name="name"/> on the named client <paramref name="name"/> of <paramref name="factory"/> (configure it with <c>services.AddHttpClient(name)</c>).</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names each setting and its fix.</exception>
    public static HttpConnector Create(IHttpClientFactory factory, string name, HttpConnectorOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new HttpConnector(name, options, factory.CreateClient(name), timeProvider);
    }

    private HttpConnector(string name, HttpConnectorOptions options, TimeProvider? timeProvider, Func<HttpClient> client, bool ownsClient)
    {
        _time = timeProvider ?? TimeProvider.System;
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options;
        var errors = options.Validate(name).ToList();
        foreach (var (op, operation) in options.Operations)
        {
            try
            {
                _bodies[op] = operation.Body is null ? null : JsonNode.Parse(operation.Body);
            }
            catch (JsonException ex)
            {
                errors.Add($"Coordinator:Connectors:{name}:Operations:{op}:Body is not JSON ({ex.Message}); write the body template as a JSON document.");
            }
        }

        if (options.BearerTokenVariable is { } variable)
        {
            _token = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(_token))
            {
                errors.Add($"Coordinator:Connectors:{name}:BearerTokenVariable names '{variable}', which is not set; export {variable} with the API token.");
            }
        }

        // Every {env:NAME} is read now: a variable that is missing fails the start (naming the
        // setting), and the values are known, so failure messages can redact them.
        var templates = options.Headers.Select(h => ($"Headers:{h.Key}", h.Value))
            .Concat(options.Operations.SelectMany(o => new[] { ($"Operations:{o.Key}:Path", o.Value.Path), ($"Operations:{o.Key}:Body", o.Value.Body ?? "") }
                .Concat(o.Value.Expect.Select(e => ($"Operations:{o.Key}:Expect:{e.Key}", e.Value)))));
        foreach (var (setting, template) in templates)
        {
            foreach (var env in EnvReferences(template).Distinct(StringComparer.Ordinal))
            {
                if (Environment.GetEnvironmentVariable(env) is { } value)
                {
                    _env[env] = value;
                }
                else
                {
                    errors.Add($"Coordinator:Connectors:{name}:{setting} uses {{env:{env}}}, which is not set; export {env}.");
                }
            }
        }

        _secrets.AddRange(_env.Values.Append(_token ?? "").Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length));

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        _failures = FailureTable.Default.With(options.Failures);
        _ownsClient = ownsClient;
        _http = client();
        _http.BaseAddress = new Uri(options.BaseUrl!.TrimEnd('/') + "/");
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // each attempt has its own
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ConnectorPolicy Policy => _options.Policy;

    /// <summary>This connector's failure table (the default with its overrides).</summary>
    public FailureTable Failures => _failures;

    /// <inheritdoc />
    public async Task<ConnectorResponse> CallAsync(ConnectorRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var operation = Operation(request.Operation, request);
        var (status, body) = await SendAsync(request.Operation, operation, request, null, cancellationToken).ConfigureAwait(false);
        return new ConnectorResponse(status, Map(request.Operation, operation, body, request), 1);
    }

    /// <inheritdoc />
    public async Task<bool> VerifyAsync(ConnectorRequest request, ConnectorResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var operation = Operation(request.Operation, request);
        if (operation.Verify is not { } verifyName)
        {
            return false;
        }

        var verify = Operation(verifyName, request);
        var (_, body) = await SendAsync(verifyName, verify, request, response.Output, cancellationToken).ConfigureAwait(false);
        var read = Map(verifyName, verify, body, request);
        foreach (var (field, template) in operation.Expect)
        {
            var expected = Render(template, request, response.Output, urlEncode: false);
            var actual = read[field] is { } node ? Text(node) : null;
            if (!string.Equals(expected, actual, StringComparison.Ordinal))
            {
                throw Failure("verify-mismatch", request, $"read-back field '{field}' is '{Excerpt(actual ?? "(missing)", _secrets)}', expected '{Excerpt(expected, _secrets)}'");
            }
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    private HttpOperation Operation(string name, ConnectorRequest request)
        => _options.Operations.TryGetValue(name, out var operation)
            ? operation
            : throw new ConnectorException(FailureClass.Data, Name, request.Operation, "contract", $"has no operation '{name}'", $"use one of: {string.Join(", ", _options.Operations.Keys)}; or declare it under Coordinator:Connectors:{Name}:Operations");

    private async Task<(int Status, JsonNode? Body)> SendAsync(string name, HttpOperation operation, ConnectorRequest request, JsonObject? output, CancellationToken cancellationToken)
    {
        var path = RenderPath(name, operation.Path.TrimStart('/'), request, output);
        // An empty path is the base URL itself, as given (a webhook URL must not gain a trailing slash).
        using var message = new HttpRequestMessage(new HttpMethod(operation.Method), path.Length == 0 ? new Uri(_options.BaseUrl!) : new Uri(path, UriKind.Relative));
        message.Headers.TryAddWithoutValidation("Idempotency-Key", request.IdempotencyKey);
        message.Headers.TryAddWithoutValidation("X-Correlation-Id", request.CorrelationId);
        if (_token is not null)
        {
            message.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token);
        }

        foreach (var (header, value) in _options.Headers)
        {
            message.Headers.TryAddWithoutValidation(header, Render(value, request, output, urlEncode: false));
        }

        if (_bodies.GetValueOrDefault(name) is { } template)
        {
            var body = Fill(template.DeepClone(), request, output);
            message.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout ?? Policy.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failure("timeout", request, $"no answer within {request.Timeout ?? Policy.Timeout}", inner: ex);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ResponseEnded)
        {
            throw Failure("refused", request, $"{operation.Method} {name} could not reach {_http.BaseAddress!.GetLeftPart(UriPartial.Authority)}: {Excerpt(ex.Message, _secrets)}", inner: ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is < 200 or > 299)
            {
                var retryAfter = response.Headers.RetryAfter is { } ra
                    ? ra.Delta ?? (ra.Date is { } date ? Max(date - _time.GetUtcNow(), TimeSpan.Zero) : null)
                    : null;
                throw Failure($"http-{status}", request, $"{operation.Method} {name} ({Template(operation.Path)}) answered {status}: {Excerpt(text, _secrets)}", status, retryAfter);
            }

            try
            {
                return (status, string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text));
            }
            catch (JsonException ex)
            {
                throw Failure("contract", request, $"the response of {name} ({Template(operation.Path)}) is not JSON: {Excerpt(text, _secrets)}", status, inner: ex);
            }
        }
    }

    private JsonObject Map(string name, HttpOperation operation, JsonNode? body, ConnectorRequest request)
    {
        var output = new JsonObject();
        foreach (var (field, path) in operation.Output)
        {
            if (Walk(body, path) is not { } node)
            {
                throw Failure("contract", request, $"the response of '{name}' has no '{path}' (mapped to output '{field}')");
            }

            output[field] = node.DeepClone();
        }

        return output;
    }

    private JsonNode Fill(JsonNode? node, ConnectorRequest request, JsonObject? output)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj.ToList())
                {
                    obj[property.Key] = Fill(property.Value, request, output);
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Fill(array[i], request, output);
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                if (text.Length > 2 && text[0] == '{' && text[^1] == '}' && text.IndexOf('{', 1) < 0)
                {
                    return Resolve(text[1..^1], request, output)?.DeepClone() ?? JsonValue.Create(Render(text, request, output, urlEncode: false))!;
                }

                return JsonValue.Create(Render(text, request, output, urlEncode: false))!;
            default:
                return node?.DeepClone()!;
        }
    }

    private string Render(string template, ConnectorRequest request, JsonObject? output, bool urlEncode)
    {
        var result = new StringBuilder(template.Length);
        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf('{', at);
            var close = open < 0 ? -1 : template.IndexOf('}', open);
            if (close < 0)
            {
                result.Append(template, at, template.Length - at);
                break;
            }

            result.Append(template, at, open - at);
            var reference = template[(open + 1)..close];
            var value = Resolve(reference, request, output) is { } node ? Text(node) : throw Missing(reference, request);
            result.Append(urlEncode ? Uri.EscapeDataString(value) : value);
            at = close + 1;
        }

        return result.ToString();
    }

    private JsonNode? Resolve(string reference, ConnectorRequest request, JsonObject? output)
    {
        if (reference == "key")
        {
            return JsonValue.Create(request.IdempotencyKey);
        }

        if (reference == "correlation")
        {
            return JsonValue.Create(request.CorrelationId);
        }

        if (reference.StartsWith("env:", StringComparison.Ordinal))
        {
            return JsonValue.Create(_env[reference[4..]]); // read and checked at start
        }

        JsonNode? node = reference.StartsWith("input.", StringComparison.Ordinal) ? request.Input
            : reference.StartsWith("output.", StringComparison.Ordinal) ? output
            : throw new ConnectorException(FailureClass.Data, Name, request.Operation, "contract", $"template placeholder '{{{reference}}}' is unknown", "use {input.name}, {output.name}, {key}, {correlation} or {env:NAME} in the operation's templates");
        node = Walk(node, reference[(reference.IndexOf('.', StringComparison.Ordinal) + 1)..]);
        return node ?? (reference.StartsWith("input.", StringComparison.Ordinal) ? throw Missing(reference, request) : null);
    }

    /// <summary>
    /// The path, rendered segment by segment: a segment that a placeholder makes empty, <c>.</c> or
    /// <c>..</c> is refused (escaping leaves dots alone, and the URL would resolve them to another
    /// resource). The query, after <c>?</c>, is rendered as it is.
    /// </summary>
    private string RenderPath(string name, string template, ConnectorRequest request, JsonObject? output)
    {
        var question = template.IndexOf('?', StringComparison.Ordinal);
        var pathTemplate = question < 0 ? template : template[..question];
        var segments = pathTemplate.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var rendered = Render(segment, request, output, urlEncode: true);
            if (rendered is "" or "." or ".." && segment.Contains('{', StringComparison.Ordinal))
            {
                var fields = References(segment).ToList();
                var values = string.Join(", ", fields.Select(f => $"'{{{f}}}' is '{Excerpt(Resolve(f, request, output) is { } node ? Text(node) : "", _secrets)}'"));
                var named = string.Join(", ", fields.Select(f => $"'{(f.IndexOf('.', StringComparison.Ordinal) is var dot and > 0 ? f[(dot + 1)..] : f)}'"));
                throw new ConnectorException(FailureClass.Data, Name, request.Operation, "contract", $"the input makes segment {i + 1} of {name}'s path ({Template(template)}) '{rendered}' ({values}); a path segment cannot be empty, '.' or '..', which would address another resource", $"correct {named} in the step's input (a non-empty value other than '.' or '..'), then retry with the edited input");
            }

            segments[i] = rendered;
        }

        var path = string.Join('/', segments);
        return question < 0 ? path : path + Render(template[question..], request, output, urlEncode: true);
    }

    private ConnectorException Missing(string reference, ConnectorRequest request)
        => new(FailureClass.Data, Name, request.Operation, "contract", $"the input has no value for '{{{reference}}}'", $"add '{reference["input.".Length..]}' to the step's input, then retry with the edited input");

    private ConnectorException Failure(string outcome, ConnectorRequest request, string message, int? status = null, TimeSpan? retryAfter = null, Exception? inner = null)
    {
        var (lane, fix) = _failures.Classify(outcome);
        return new ConnectorException(lane, Name, request.Operation, outcome, message, fix, status, retryAfter, inner);
    }

    /// <summary>The value at dotted <paramref name="path"/> below <paramref name="node"/>, or null.</summary>
    private static JsonNode? Walk(JsonNode? node, string path)
    {
        foreach (var segment in path.Split('.'))
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(segment, out var child) ? child : null;
        }

        return node;
    }

    private static string Text(JsonNode node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : node.ToJsonString();

    /// <summary>Most characters of a response kept in a failure message.</summary>
    internal const int ExcerptLength = 200;

    /// <summary>
    /// <paramref name="text"/> fit for a failure message, which is journaled and logged: every
    /// <paramref name="secrets"/> value (as is and URL-encoded) becomes <c>***</c>, query strings
    /// become <c>?…</c>, line breaks and control characters become spaces, and at most
    /// <see cref="ExcerptLength"/> characters are kept.
    /// </summary>
    internal static string Excerpt(string text, IReadOnlyCollection<string> secrets)
    {
        foreach (var secret in secrets)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
            var encoded = Uri.EscapeDataString(secret);
            if (encoded != secret)
            {
                text = text.Replace(encoded, "***", StringComparison.Ordinal);
            }
        }

        text = QueryString().Replace(text, "?…");
        var excerpt = new StringBuilder(Math.Min(text.Length, ExcerptLength + 1));
        foreach (var c in text)
        {
            if (excerpt.Length == ExcerptLength)
            {
                excerpt.Append('…');
                break;
            }

            excerpt.Append(char.IsControl(c) ? ' ' : c);
        }

        return excerpt.ToString();
    }

    /// <summary>A path template as failure messages show it: its query, if any, as <c>?…</c>.</summary>
    private static string Template(string path)
    {
        var rooted = "/" + path.TrimStart('/');
        var question = rooted.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? rooted : string.Concat(rooted.AsSpan(0, question), "?…");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The placeholders of <paramref name="template"/>, without braces.</summary>
    private static IEnumerable<string> References(string template)
    {
        var at = 0;
        while ((at = template.IndexOf('{', at)) >= 0)
        {
            var close = template.IndexOf('}', at);
            if (close < 0)
            {
                yield break;
            }

            yield return template[(at + 1)..close];
            at = close;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\?[^\s""'<>]*", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex QueryString();

    private static IEnumerable<string> EnvReferences(string template)
    {
        var at = 0;
        while ((at = template.IndexOf("{env:", at, StringComparison.Ordinal)) >= 0)
        {
            var close = template.IndexOf('}', at);
            if (close < 0)
            {
                yield break;
            }

            yield return template[(at + 5)..close];
            at = close;
        }
    }
}
