using Microsoft.Extensions.Options;

namespace Coordinator.Host;

/// <summary>
/// The coordinator's settings, bound from the <c>Coordinator</c> configuration section
/// (appsettings.json, or environment variables such as <c>Coordinator__ListenUrls</c>).
/// </summary>
public sealed class CoordinatorOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Coordinator";

    /// <summary>
    /// Where the HTTP endpoints listen, separated by ';'. Loopback by default so that nothing is
    /// exposed by accident; a container sets <c>http://0.0.0.0:8080</c>.
    /// <value>Default: <c>http://127.0.0.1:5080</c>.</value>
    /// </summary>
    public string ListenUrls { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Name of the actor system; appears in every actor address. <value>Default: <c>coordinator</c>.</value></summary>
    public string SystemName { get; set; } = "coordinator";
}

/// <summary>Checks <see cref="CoordinatorOptions"/> at start, saying what to set.</summary>
internal sealed class CoordinatorOptionsValidator : IValidateOptions<CoordinatorOptions>
{
    public ValidateOptionsResult Validate(string? name, CoordinatorOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ListenUrls))
        {
            errors.Add("Coordinator:ListenUrls is empty; set it to e.g. http://127.0.0.1:5080 (environment: Coordinator__ListenUrls).");
        }
        else
        {
            foreach (var url in options.ListenUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    errors.Add($"Coordinator:ListenUrls contains '{url}', which is not an http(s) URL; use e.g. http://127.0.0.1:5080.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(options.SystemName) || !options.SystemName.All(static c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            errors.Add($"Coordinator:SystemName is '{options.SystemName}'; use letters, digits and '-' only, e.g. coordinator.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
