using Distributed.Coordinator.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
