using System.Diagnostics;

namespace Coordinator.TestKit;

/// <summary>
/// The PostgreSQL that integration tests run against: the connection string in
/// <c>COORDINATOR_TEST_POSTGRES</c> if set (<c>./build.sh test</c> sets it), else the private
/// cluster that <c>eng/postgres.sh start</c> runs on loopback.
/// </summary>
public static class TestPostgres
{
    /// <summary>The environment variable holding the connection string.</summary>
    public const string EnvironmentVariable = "COORDINATOR_TEST_POSTGRES";

    private static readonly Lazy<string> Resolved = new(Resolve);

    /// <summary>The Npgsql connection string.</summary>
    /// <exception cref="InvalidOperationException">No PostgreSQL is configured and none could be started; the message says what to do.</exception>
    public static string ConnectionString => Resolved.Value;

    private static string Resolve()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Coordinator.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        var script = root is null ? null : Path.Combine(root, "eng", "postgres.sh");
        if (script is null || !File.Exists(script))
        {
            throw new InvalidOperationException($"No PostgreSQL for the tests: set {EnvironmentVariable} to a connection string, or run ./build.sh test, which starts one.");
        }

        using var process = Process.Start(new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"eng/postgres.sh start failed ({process.ExitCode}): {error}. Install the 'postgresql' package or set {EnvironmentVariable}.");
        }

        return output.Split('\n')[^1];
    }
}
