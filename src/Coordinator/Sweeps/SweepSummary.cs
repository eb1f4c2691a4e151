using Distributed.Coordinator.Cli;

namespace Distributed.Coordinator.Sweeps;

/// <summary>DIR/summary.json: the objective, the best completed trial, and every trial that ended, in trial order.</summary>
internal sealed record SweepSummary(string Objective, string Direction, SweepSummary.BestTrial? Best, IReadOnlyList<TrialRecord> Trials)
{
    public static SweepSummary From(Objective objective, IEnumerable<TrialRecord> trials)
    {
        var all = trials.OrderBy(t => t.Trial).ToArray();
        var best = TrialRecord.Best(all, objective);
        return new SweepSummary(objective.Metric, objective.Direction, best is null ? null : new BestTrial(best.Trial, best.Params, best.Value!.Value, best.Command), all);
    }

    public void Write(string path) => JsonFiles.Write(path, this);

    public sealed record BestTrial(int Trial, IReadOnlyDictionary<string, string> Params, double Value, string Command);
}
