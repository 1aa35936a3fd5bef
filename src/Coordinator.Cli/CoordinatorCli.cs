using System.CommandLine;
using Coordinator.Cli.Workflows;

namespace Coordinator.Cli;

/// <summary>The <c>coordinator</c> command line.</summary>
public static class CoordinatorCli
{
    /// <summary>The command's name.</summary>
    public const string Name = "coordinator";

    /// <summary>Runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>The exit code: 0 on success, 1 when what was checked is invalid, 2 on a usage error.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Coordinator: the streaming workflow coordinator's command line.")
        {
            WorkflowCommands.Create(output, error),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                error.WriteLine($"{Name}: {e.Message}");
            }

            error.WriteLine($"Run '{Name} --help' for usage.");
            return 2;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
