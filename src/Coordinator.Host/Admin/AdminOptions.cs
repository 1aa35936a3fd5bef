using System.Net;
using Microsoft.Extensions.Options;

namespace Coordinator.Host.Admin;

/// <summary>
/// The operator API. Section <c>Coordinator:Admin</c>. It listens on its own address, on
/// loopback by default, and every request needs the bearer token.
/// </summary>
public sealed class AdminOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator:Admin";

    /// <summary>Where the operator API listens. <value>Default: <c>http://127.0.0.1:5081</c> (loopback only).</value></summary>
    public string ListenUrl { get; set; } = "http://127.0.0.1:5081";

    /// <summary>The bearer token operators send (<c>Authorization: Bearer …</c>); when empty one is generated at start and written to <see cref="TokenFile"/>.</summary>
    public string? Token { get; set; }

    /// <summary>Where a generated token is written (readable by the owner only). <value>Default: <c>data/admin-token</c>.</value></summary>
    public string TokenFile { get; set; } = "data/admin-token";

    /// <summary>The port of <see cref="ListenUrl"/>.</summary>
    public int Port => new Uri(ListenUrl).Port;
}

internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        if (!Uri.TryCreate(options.ListenUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return ValidateOptionsResult.Fail($"{AdminOptions.Section}:ListenUrl is '{options.ListenUrl}'; set an http(s) URL with a port, e.g. http://127.0.0.1:5081.");
        }

        var loopback = url.IsLoopback || (IPAddress.TryParse(url.Host, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback && string.IsNullOrWhiteSpace(options.Token))
        {
            return ValidateOptionsResult.Fail($"{AdminOptions.Section}:ListenUrl is '{options.ListenUrl}', beyond loopback, and {AdminOptions.Section}:Token is empty; set a token (at least 32 characters, from a secret) before exposing the operator API.");
        }

        if (options.Token is { Length: > 0 and < 32 })
        {
            return ValidateOptionsResult.Fail($"{AdminOptions.Section}:Token has {options.Token.Length} characters; use at least 32 (e.g. `openssl rand -hex 32`).");
        }

        return ValidateOptionsResult.Success;
    }
}
