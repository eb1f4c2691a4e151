using Distributed.Core.Collectives;
using Distributed.Core.FullBatch;

namespace Distributed.Core.DataParallel;

/// <summary>
/// The whole training set's loss on one rank of many: this rank's shard through <see cref="ModelObjective"/>
/// (already divided by the whole set's size), then one all-reduce of the gradient, the loss and the correct count
/// together. The ring gives every rank the same bits, so every rank's line search compares identical values, takes
/// identical decisions and the ranks never diverge, with no coordinator in the loop. The loss travels as two floats
/// (value and remainder), since the search compares losses that differ in their eighth digit.
/// </summary>
public sealed class ReducedObjective(ModelObjective local, RingCollectives ring) : IObjective, ICurvature
{
    private long _step;
    private int _collective;
    private float[] _buffer = [];

    public int Dimension => local.Dimension;

    public ModelObjective Local => local;

    /// <summary>Seconds spent in all-reduces since the last <see cref="BeginStep"/>.</summary>
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
        var buffer = Buffer(n + 3);
        for (var i = 0; i < n; i++)
        {
            buffer[i] = (float)gradient[i];
        }

        var high = (float)value.Loss;
        buffer[n] = high;
        buffer[n + 1] = float.IsFinite(high) ? (float)(value.Loss - high) : 0f;
        buffer[n + 2] = value.Correct;
        await ReduceAsync(n + 3, cancel).ConfigureAwait(false);
        for (var i = 0; i < n; i++)
        {
            gradient[i] = buffer[i];
        }

        return new ObjectiveValue((double)buffer[n] + buffer[n + 1], (long)Math.Round(buffer[n + 2]));
    }

    public ValueTask AtAsync(double[] x, CancellationToken cancel) => local.AtAsync(x, cancel);

    public async ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel)
    {
        await local.HessianTimesAsync(v, result, cancel).ConfigureAwait(false);
        var buffer = Buffer(result.Length);
        for (var i = 0; i < result.Length; i++)
        {
            buffer[i] = (float)result[i];
        }

        await ReduceAsync(result.Length, cancel).ConfigureAwait(false);
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = buffer[i];
        }
    }

    private float[] Buffer(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new float[length];
        }

        return _buffer;
    }

    private async Task ReduceAsync(int length, CancellationToken cancel)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        // A bucket index per collective of the step keeps the tags distinct without a new code in CollectiveTag.
        await ring.AllReduceAsync(_buffer.AsMemory(0, length), CollectiveTag.ForBucket(_step, _collective++), cancel).ConfigureAwait(false);
        CommunicationSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
