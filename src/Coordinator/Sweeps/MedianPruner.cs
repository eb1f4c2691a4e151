namespace Distributed.Coordinator.Sweeps;

/// <summary>
/// The median stopping rule (Golovin et al., Google Vizier; Optuna's MedianPruner): stop a trial whose value at an
/// epoch is worse than the median of what the other trials reported at that same epoch. Nothing is stopped before
/// <see cref="MinTrials"/> others have reported the epoch (the median of one or two trials is noise), nor at the last
/// epoch, where stopping saves nothing.
/// </summary>
internal sealed class MedianPruner : Pruner
{
    public const int MinTrials = 3;

    private readonly Dictionary<int, Dictionary<int, double>> _byEpoch = [];

    public override bool ShouldPrune(int trial, int epoch, int epochs, double score)
    {
        lock (_byEpoch)
        {
            if (!_byEpoch.TryGetValue(epoch, out var reported))
            {
                _byEpoch[epoch] = reported = [];
            }

            var others = reported.Where(r => r.Key != trial).Select(r => r.Value).ToArray();
            reported[trial] = score;
            return epoch < epochs && others.Length >= MinTrials && score < Median(others);
        }
    }

    internal static double Median(double[] values)
    {
        Array.Sort(values);
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
}
