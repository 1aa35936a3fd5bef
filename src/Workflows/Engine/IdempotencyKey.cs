using System.Text;

namespace Coordinator.Workflows.Engine;

/// <summary>
/// Idempotency keys <c>{instance}/{step}</c>. Each part is escaped ('%' as <c>%25</c>, '/' as
/// <c>%2F</c>) so the key is injective: instance <c>a/b</c> with step <c>c</c> gives
/// <c>a%2Fb/c</c>, and instance <c>a</c> with step <c>b/c</c> gives <c>a/b%2Fc</c>.
/// </summary>
public static class IdempotencyKey
{
    /// <summary>The key of a step of an instance.</summary>
    /// <param name="instance">The instance id.</param>
    /// <param name="step">The step's name.</param>
    /// <returns>The key.</returns>
    public static string For(string instance, string step) => $"{Escape(instance)}/{Escape(step)}";

    /// <summary>Splits a key back into its instance and step.</summary>
    /// <param name="key">A key made by <see cref="For"/>.</param>
    /// <returns>The instance and step.</returns>
    /// <exception cref="FormatException">The key was not made by <see cref="For"/>.</exception>
    public static (string Instance, string Step) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 || key.IndexOf('/', slash + 1) >= 0
            ? throw new FormatException($"\"{key}\" is not an idempotency key of the form instance/step")
            : (Unescape(key[..slash]), Unescape(key[(slash + 1)..]));
    }

    private static string Escape(string part) => part.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal);

    private static string Unescape(string part)
    {
        var sb = new StringBuilder(part.Length);
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] == '%')
            {
                if (i + 3 > part.Length)
                {
                    throw new FormatException($"\"{part}\" ends in an incomplete escape");
                }

                var code = part.AsSpan(i, 3);
                if (code.SequenceEqual("%25"))
                {
                    sb.Append('%');
                    i += 2;
                    continue;
                }

                if (code.SequenceEqual("%2F"))
                {
                    sb.Append('/');
                    i += 2;
                    continue;
                }

                throw new FormatException($"\"{part}\" has an unknown escape");
            }

            sb.Append(part[i]);
        }

        return sb.ToString();
    }
}
