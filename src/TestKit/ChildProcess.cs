using System.Diagnostics;
using System.Text;

namespace Coordinator.TestKit;

/// <summary>
/// A test helper program (a <c>.dll</c> beside the tests) run as its own process, so a test can
/// kill it for real with SIGKILL: no shutdown, no final flush or commit. Its output is collected.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process, Action<string>? onLine)
    {
        _process = process;
        _ = Task.Run(() => PumpAsync(process.StandardOutput, onLine));
        _ = Task.Run(() => PumpAsync(process.StandardError, null));
    }

    /// <summary>Whether the process has exited (or was killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything it wrote so far, standard output and error interleaved by line.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs <c>dotnet {dll} {arguments}</c>, <paramref name="dll"/> found beside the tests; <paramref name="onLine"/> sees each line of standard output.</summary>
    public static ChildProcess Start(string dll, IEnumerable<string> arguments, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start."), onLine);
    }

    /// <summary>Kills it with SIGKILL (the whole process tree) and waits until it is gone.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader, Action<string>? onLine)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }

            onLine?.Invoke(line);
        }
    }
}
