namespace Distributed.Coordinator.Tests.Cli;

/// <summary>Runs the command line in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Coordinator.Cli.CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
