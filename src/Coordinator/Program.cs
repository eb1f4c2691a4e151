using System.Globalization;
using Distributed.Coordinator.Cli;

// One culture everywhere: numbers in logs, metrics and the job configuration every worker must match.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return CliApp.Run(args, Console.Out, Console.Error);
