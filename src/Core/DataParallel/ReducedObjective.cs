using Distributed.Core.Collectives;
using Distributed.Core.FullBatch;

namespace Distributed.Core.DataParallel;

/// <summary>
/// The whole training set's loss on one rank of many: this rank's shard through <see cref="ModelObjective"/>
/// (already divided by the whole set's size), then one exchange of the gradient, the loss and the correct count
/// together. The exchange is exact rather than a float32 all-reduce: each rank's double-precision sums travel as
/// two floats (the value and its remainder), are all-gathered, and every rank adds them up in rank order in double
/// precision. With <see cref="FullBatchShards"/> giving each rank whole chunks, that is what one process computes
/// to about 1e-15, and every rank holds the same bits, so every line search decides alike with no coordinator in
/// the loop. A full-batch model is small (Newton refuses large ones), so gathering N copies costs little.
/// </summary>
public sealed class ReducedObjective(ModelObjective local, RingCollectives ring) : IObjective, ICurvature
{
    private long _step;
    private int _collective;
    private float[] _gathered = [];
    private double[] _values = [];

    public int Dimension => local.Dimension;

    public ModelObjective Local => local;

    /// <summary>Seconds spent in collectives since the last <see cref="BeginStep"/>.</summary>
    public double CommunicationSeconds { get; private set; }

    /// <summary>Tags this step's collectives: each evaluation and product is one more, in the same order on every rank.</summary>
    public void BeginStep(long step)
    {
        _step = step;
        _collective = 0;
        CommunicationSeconds = 0;
    }

    public async ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        var value = await local.EvaluateAsync(x, gradient, cancel).ConfigureAwait(false);
        var n = gradient.Length;
        var values = Values(n + 2);
        gradient.CopyTo(values, 0);
        values[n] = value.Loss;
        values[n + 1] = value.Correct;
        await SumAsync(n + 2, cancel).ConfigureAwait(false);
        Array.Copy(values, gradient, n);
        return new ObjectiveValue(values[n], (long)Math.Round(values[n + 1]));
    }

    public ValueTask AtAsync(double[] x, CancellationToken cancel) => local.AtAsync(x, cancel);

    public async ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel)
    {
        await local.HessianTimesAsync(v, result, cancel).ConfigureAwait(false);
        var values = Values(result.Length);
        result.CopyTo(values, 0);
        await SumAsync(result.Length, cancel).ConfigureAwait(false);
        Array.Copy(values, result, result.Length);
    }

    private double[] Values(int length)
    {
        if (_values.Length < length)
        {
            _values = new double[length];
        }

        return _values;
    }

    /// <summary>Replaces the first <paramref name="length"/> values with their sum over every rank, the same bits on each.</summary>
    private async Task SumAsync(int length, CancellationToken cancel)
    {
        var tag = CollectiveTag.FullBatchSum(_step, _collective++);
        if (ring.WorldSize == 1)
        {
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var n = ring.WorldSize;
        var stride = 2 * length;
        if (_gathered.Length < n * stride)
        {
            _gathered = new float[n * stride];
        }

        var mine = _gathered.AsSpan(ring.Rank * stride, stride);
        for (var i = 0; i < length; i++)
        {
            var high = (float)_values[i];
            mine[2 * i] = high;
            mine[(2 * i) + 1] = float.IsFinite(high) ? (float)(_values[i] - high) : 0f;
        }

        await ring.AllGatherAsync(_gathered.AsMemory(0, n * stride), Segments.Even(n * stride, n), tag, cancel).ConfigureAwait(false);
        for (var i = 0; i < length; i++)
        {
            double sum = 0;
            for (var r = 0; r < n; r++)
            {
                sum += (double)_gathered[(r * stride) + (2 * i)] + _gathered[(r * stride) + (2 * i) + 1];
            }

            _values[i] = sum;
        }

        CommunicationSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
