using Distributed.Coordinator.Cli;

namespace Distributed.Coordinator.Sweeps;

/// <summary>
/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning", 2020), in the
/// stopping form Ray Tune's ASHAScheduler uses: rungs at epochs 1, η, η², … below the last epoch; a trial reaching a
/// rung continues only if its value is in the top 1/η of the values earlier trials recorded at that rung, and is
/// stopped otherwise. Being asynchronous, the first trial at a rung always continues: the rule never waits for a
/// cohort, so how strict it is grows with the number of trials that have been there.
/// </summary>
internal sealed class AshaPruner : Pruner
{
    public const int DefaultReductionFactor = 3;

    private readonly int _eta;
    private readonly Dictionary<int, List<double>> _rungs = [];

    public AshaPruner(int reductionFactor = DefaultReductionFactor)
    {
        _eta = reductionFactor is >= 2 and <= 100 ? reductionFactor : throw new UsageException($"--reduction-factor must be between 2 and 100, got {reductionFactor}");
    }

    /// <summary>The epochs at which a trial of <paramref name="epochs"/> epochs is judged.</summary>
    public IEnumerable<int> Rungs(int epochs)
    {
        for (long r = 1; r < epochs; r *= _eta)
        {
            yield return (int)r;
        }
    }

    public override bool ShouldPrune(int trial, int epoch, int epochs, double score)
    {
        if (!Rungs(epochs).Contains(epoch))
        {
            return false;
        }

        lock (_rungs)
        {
            if (!_rungs.TryGetValue(epoch, out var recorded))
            {
                _rungs[epoch] = recorded = [];
            }

            var cutoff = recorded.Count == 0 ? double.NegativeInfinity : Quantile(recorded, 1 - (1.0 / _eta));
            recorded.Add(score);
            return score < cutoff;
        }
    }

    /// <summary>The q-quantile with linear interpolation between order statistics (numpy's default).</summary>
    internal static double Quantile(IReadOnlyList<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(position);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((position - lo) * (sorted[hi] - sorted[lo]));
    }
}
