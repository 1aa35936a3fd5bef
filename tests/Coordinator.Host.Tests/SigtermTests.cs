using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Coordinator.TestKit;

namespace Coordinator.Host.Tests;

/// <summary>The host as its own process, stopped the way Kubernetes stops it: SIGTERM.</summary>
public sealed partial class SigtermTests
{
    [Fact]
    public async Task Sigterm_RunsAkkasCoordinatedShutdown_LeavesTheCluster_AndExitsZero()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Coordinator.Host.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["Coordinator__ListenUrls"] = "http://127.0.0.1:0";
        start.Environment["Coordinator__Cluster__Port"] = "0";
        var adminPort = TestHost.FreePort();
        start.Environment["Coordinator__Admin__ListenUrl"] = $"http://127.0.0.1:{adminPort}";
        start.Environment["Coordinator__Admin__TokenFile"] = Path.Combine(Path.GetTempPath(), $"coordinator-sigterm-token-{Guid.NewGuid():N}");
        start.Environment["Coordinator__Ingress__WorkflowsPath"] = TestHost.RepositoryWorkflows();
        start.Environment["Coordinator__Journal__SqlitePath"] = Path.Combine(Path.GetTempPath(), $"coordinator-sigterm-{Guid.NewGuid():N}.db");
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__Console__DisableColors"] = "true";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }

                if (Listening().Match(line) is { Success: true } match && new Uri(match.Groups[1].Value).Port != adminPort)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value));
                }
            }
        });
        try
        {
            using var http = new HttpClient { BaseAddress = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)) };
            await Eventually.TrueAsync(
                async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
                "the host to be ready (an Up member of its one-node cluster)",
                TimeSpan.FromSeconds(30));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await pump.WaitAsync(TimeSpan.FromSeconds(10));
            var log = output.ToString();
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("Starting coordinated shutdown from CLR termination hook", log, StringComparison.Ordinal);
            Assert.Contains("as [Leaving]", log, StringComparison.Ordinal);
            Assert.Contains("Exiting completed", log, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex Listening();
}
