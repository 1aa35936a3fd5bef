using Coordinator.Cli;

return CoordinatorCli.Run(args, Console.Out, Console.Error);
