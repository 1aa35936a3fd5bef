using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coordinator.Workflows.OrderNode;

/// <summary>
/// A real payments API on 127.0.0.1, scriptable per test: answers 200, 4xx, 5xx, 429 with
/// Retry-After, or nothing (timeouts). Like a real payment provider it honours
/// <c>Idempotency-Key</c>: a key seen before gets the stored answer and no second charge. It
/// counts calls and effects per key.
/// </summary>
public sealed class PaymentsApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, TimeSpan? RetryAfter)> _script = new();
    private readonly ConcurrentDictionary<string, JsonObject> _charges = new();
    private readonly ConcurrentDictionary<string, int> _calls = new();
    private readonly ConcurrentQueue<string> _effects = new();
    private bool _down;
    private string? _reject;
    private string? _readBack;
    private bool _hold;

    private PaymentsApi(WebApplication app)
    {
        _app = app;
        app.MapPost("/charges", (Delegate)Charge);
        app.MapGet("/charges/{id}", (string id) => _charges.Values.FirstOrDefault(c => (string?)c["id"] == id) is { } charge ? Results.Json(Read(charge)) : Results.NotFound());
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:40123.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every call answers 503 while true.</summary>
    public bool Down { get => Volatile.Read(ref _down); set => Volatile.Write(ref _down, value); }

    /// <summary>Charges of this customer are rejected with 422.</summary>
    public string? RejectCustomer { get => Volatile.Read(ref _reject); set => Volatile.Write(ref _reject, value); }

    /// <summary>The read-back shows this amount instead (a verification mismatch).</summary>
    public string? ReadBackAmount { get => Volatile.Read(ref _readBack); set => Volatile.Write(ref _readBack, value); }

    /// <summary>While true, a charge takes effect and then the call hangs without answering (until the caller goes away).</summary>
    public bool HoldAfterEffect { get => Volatile.Read(ref _hold); set => Volatile.Write(ref _hold, value); }

    /// <summary>Calls answer after this delay.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Calls to POST /charges per idempotency key.</summary>
    public int CallsFor(string key) => _calls.GetValueOrDefault(key);

    /// <summary>Keys whose charge took effect, in the order they did.</summary>
    public IReadOnlyList<string> Effects => [.. _effects];

    /// <summary>Starts the server on a free loopback port.</summary>
    public static async Task<PaymentsApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var api = new PaymentsApi(builder.Build());
        await api._app.StartAsync();
        api.BaseUrl = api._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return api;
    }

    /// <summary>The next <paramref name="count"/> charges answer <paramref name="status"/>.</summary>
    public void FailNext(int count, int status, TimeSpan? retryAfter = null)
    {
        for (var i = 0; i < count; i++)
        {
            _script.Enqueue((status, retryAfter));
        }
    }

    private async Task<IResult> Charge(HttpContext context)
    {
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        _calls.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        if (Down)
        {
            return Results.StatusCode(503);
        }

        if (_script.TryDequeue(out var scripted))
        {
            if (scripted.RetryAfter is { } after)
            {
                context.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Results.StatusCode(scripted.Status);
        }

        if (string.IsNullOrEmpty(key))
        {
            return Results.BadRequest(new { error = "Idempotency-Key header required" });
        }

        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        if ((string?)body["customer"] == RejectCustomer)
        {
            return Results.UnprocessableEntity(new { error = "customer is blocked", field = "customer" });
        }

        var charge = _charges.GetOrAdd(key, k =>
        {
            _effects.Enqueue(k);
            return new JsonObject { ["id"] = $"ch_{_charges.Count + 1}_{k.GetHashCode():x}", ["amount"] = body["amount"]!.DeepClone(), ["customer"] = body["customer"]!.DeepClone(), ["status"] = "succeeded" };
        });
        if (HoldAfterEffect)
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        return Results.Json(charge);
    }

    private JsonObject Read(JsonObject charge)
    {
        var copy = charge.DeepClone().AsObject();
        if (ReadBackAmount is { } amount)
        {
            copy["amount"] = amount;
        }

        return copy;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
