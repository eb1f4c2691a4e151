using System.CommandLine;

namespace Distributed.Coordinator.Cli;

/// <summary>Commands are assembled from the shared option sets; this adds a set's options in one call.</summary>
internal static class CommandOptions
{
    public static Command WithOptions(this Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Add(option);
        }

        return command;
    }
}
