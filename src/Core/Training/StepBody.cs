using Distributed.Core.Data;
using Distributed.Core.Layers;
using Distributed.Core.Models;

namespace Distributed.Core.Training;

/// <summary>
/// What a step does with its batch, the same in one process and on each rank of many: gather the samples, forward,
/// loss, backward. What then happens to the gradient (an optimizer step, or a reduction with the other ranks first)
/// is the caller's: distribution changes what a step does with its gradient, not the step. Also the evaluation
/// pass. Owns the batch buffers, reused step after step, so a warm step allocates nothing here.
/// </summary>
public sealed class StepBody
{
    private readonly Model _model;
    private readonly BatchBuffer _inputs;
    private readonly BatchBuffer _targets;
    private int[] _evalIndices = [];

    public StepBody(Model model, int targetLength)
    {
        _model = model;
        _inputs = new BatchBuffer(model.InputShape);
        _targets = new BatchBuffer(targetLength);
    }

    /// <summary>
    /// Zeroes the gradients, then accumulates the gradient of the loss over <paramref name="indices"/> divided by
    /// <paramref name="lossDivisor"/>: the batch in one process; the global batch on a rank, so that the ranks'
    /// gradients sum to the global batch's mean. With <paramref name="microBatches"/> above one the samples go through
    /// forward and backward in that many consecutive parts, their gradients summed (gradient accumulation: the
    /// activations of one part at a time). <paramref name="layerDone"/> hears each top-level layer whose gradients
    /// are final, during the last part only. No samples leave a zero gradient. <paramref name="firstPosition"/> is
    /// where these samples start in the global batch (a rank's offset), so dropout drops the same units of a sample
    /// however the batch is split. Returns the loss and the correct predictions over all the samples; a non-finite
    /// loss leaves a non-finite gradient, for <see cref="NonFiniteGuard"/> to find after the reduction.
    /// </summary>
    public (double Loss, int Correct) Train(Dataset data, ReadOnlySpan<int> indices, int lossDivisor, long step, Action<int>? layerDone = null, int microBatches = 1, int firstPosition = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microBatches);
        _model.Backend.Fill(_model.Parameters.Gradients, 0f);
        double loss = 0;
        var correct = 0;
        var parts = Math.Min(microBatches, indices.Length);
        for (var p = 0; p < parts; p++)
        {
            var start = (int)((long)indices.Length * p / parts);
            var end = (int)((long)indices.Length * (p + 1) / parts);
            _model.AtBatchPosition(step, firstPosition + start);
            var (partLoss, partCorrect) = Accumulate(data, indices[start..end], lossDivisor, p == parts - 1 ? layerDone : null);
            loss += partLoss;
            correct += partCorrect;
        }

        return (loss, correct);
    }

    private (double Loss, int Correct) Accumulate(Dataset data, ReadOnlySpan<int> indices, int lossDivisor, Action<int>? layerDone)
    {
        var x = _inputs.For(indices.Length);
        var t = _targets.For(indices.Length);
        _model.LoadBatch(data, indices, x, t);
        var y = _model.Forward(x, training: true);
        var loss = _model.Loss.Compute(y, t, lossDivisor);
        if (!double.IsFinite(loss))
        {
            // One rank's overflow must stop or skip every rank's update alike: a NaN loss gradient makes this rank's
            // gradient NaN, so the reduced gradient is NaN on every rank and the one check after the reduction sees it.
            _model.Backend.Fill(_model.Loss.Gradient, float.NaN);
        }

        // Counted before backward, while the output is certainly still the forward's.
        var correct = _model.IsClassifier ? _model.Backend.CountCorrect(y, t) : 0;
        _model.Backward(layerDone);
        return (loss, correct);
    }

    /// <summary>
    /// Loss summed over samples and correct predictions on [<paramref name="start"/>, start + <paramref name="count"/>)
    /// of <paramref name="data"/>, dropout off, in batches of <paramref name="batchSize"/> (the last one short).
    /// </summary>
    public (double LossSum, long Correct) Evaluate(Dataset data, int start, int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var size = Math.Min(batchSize, Math.Max(1, count));
        if (_evalIndices.Length < size)
        {
            _evalIndices = new int[size];
        }

        double lossSum = 0;
        long correct = 0;
        for (var done = 0; done < count; done += size)
        {
            var n = Math.Min(size, count - done);
            var indices = _evalIndices.AsSpan(0, n);
            for (var i = 0; i < n; i++)
            {
                indices[i] = start + done + i;
            }

            var x = _inputs.For(n);
            var t = _targets.For(n);
            _model.LoadBatch(data, indices, x, t);
            var y = _model.Forward(x, training: false);
            lossSum += _model.Loss.Compute(y, t, n) * n;
            if (_model.IsClassifier)
            {
                correct += _model.Backend.CountCorrect(y, t);
            }
        }

        return (lossSum, correct);
    }
}
