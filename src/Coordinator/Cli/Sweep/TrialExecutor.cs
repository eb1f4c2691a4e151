using Distributed.Coordinator.Sweeps;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>One trial to run: its index, its values, its whole `train` argument list and its own directory.</summary>
internal sealed record TrialRun(int Index, IReadOnlyList<KeyValuePair<string, string>> Params, string[] Arguments, string Directory, int Epochs);

/// <summary>How a trial ended: <see cref="TrialStatus"/>, the epochs it reported, and a one-line error when it failed.</summary>
internal sealed record TrialOutcome(string Status, IReadOnlyList<EpochMetrics> History, string? Error = null);

/// <summary>
/// Runs one trial as an ordinary `train` run, calling <c>prune</c> after each epoch and stopping at once when it
/// says so. Cancelling the token stops the trial and throws <see cref="OperationCanceledException"/>: a trial cut
/// short by Ctrl-C has not ended, so it gets no record and --resume runs it again.
/// </summary>
internal interface ITrialExecutor
{
    /// <summary>The name of the log file in the trial's directory that takes what the run prints.</summary>
    public const string LogFile = "train.log";

    Task<TrialOutcome> RunAsync(TrialRun trial, Func<EpochMetrics, bool> prune, CancellationToken cancel);
}
