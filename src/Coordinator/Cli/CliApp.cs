using System.CommandLine;
using System.Runtime.InteropServices;
using Distributed.Core.Compute;
using Distributed.Core.Data;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Training;
using Distributed.Kubernetes;
using Distributed.Worker;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// The `distributed` command line. Bad input (a flag, a value, a data file) is one line on stderr and exit
/// code 2, never a stack trace; a run that fails after starting exits 1.
/// </summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Data-parallel neural-network training for .NET.")
        {
            TrainCommand.Create(output),
            SweepCommand.Create(output),
            CompareCommand.Create(output),
            CoordinatorCommand.Create(output),
            WorkerCommand.Create(output),
            BenchCommand.Create(output),
            SubmitCommand.Create(output),
            PredictCommand.Create(output),
            ClusterJobCommands.Status(output),
            ClusterJobCommands.Logs(output),
            ClusterJobCommands.Delete(output),
        };

        var parsed = root.Parse(args, ModelFileTokens.Configuration(args));
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine($"error: {parsed.Errors[0].Message} (see --help)");
            return BadInput;
        }

        // One signal stops the run cleanly, whichever command it is (the actions all honour the token); a second
        // one, for a run that does not stop, ends the process at once. System.CommandLine's own handler is off: it
        // gives up after a timeout and throws from its signal thread.
        using var stop = new CancellationTokenSource();
        var signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref signals) == 1)
            {
                context.Cancel = true;
                error.WriteLine($"{context.Signal}: stopping (again to quit at once)");
                stop.Cancel();
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return parsed.InvokeAsync(configuration, stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            error.WriteLine($"error: {OneLine(ex)}");
            return BadInput;
        }
        catch (Exception ex) when (ex is TrainingDivergedException or JobFailedException or WorkerException or ClusterException or DeviceUnavailableException)
        {
            error.WriteLine($"error: {ex.Message}");
            return Failed;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return Failed;
        }
    }

    private static bool IsBadInput(Exception ex) =>
        ex is UsageException or DataFormatException or IOException or UnauthorizedAccessException;

    /// <summary>Argument exceptions append "(Parameter 'x')" and "Actual value was …" lines; keep only the sentence.</summary>
    internal static string OneLine(Exception ex)
    {
        var message = ex.Message.Split('\n')[0].Trim();
        var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>A flag combination that cannot work, caught before any work starts.</summary>
public sealed class UsageException(string message) : Exception(message);
