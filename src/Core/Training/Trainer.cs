using System.Diagnostics;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Telemetry;

namespace Distributed.Core.Training;

/// <param name="MicroBatches">Parts each batch goes through forward and backward in, its gradients summed before the one optimizer step (gradient accumulation).</param>
public sealed record TrainOptions(int Epochs, int BatchSize, ulong Seed, int EvalBatchSize = 1000, int MicroBatches = 1)
{
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MicroBatches, "micro-batches");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, "epochs");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, "batch size");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvalBatchSize, "evaluation batch size");
    }
}

/// <summary>
/// The single-process training loop: for each batch, <see cref="StepBody"/>'s forward and backward, then the
/// optimizer step. The whole step is <see cref="TrainStep"/>; everything else is bookkeeping.
/// </summary>
public sealed class Trainer
{
    private readonly Model _model;
    private readonly Optimizer _optimizer;
    private readonly TrainOptions _options;
    private readonly StepBody _body;

    public Trainer(Model model, Optimizer optimizer, TrainOptions options, int targetLength)
    {
        options.Validate();
        _model = model;
        _optimizer = optimizer;
        _options = options;
        _body = new StepBody(model, targetLength);
    }

    public event Action<StepMetrics>? StepCompleted;

    public event Action<EpochMetrics>? EpochCompleted;

    public TrainingResult Fit(Dataset train, Dataset? test, CancellationToken cancel = default)
    {
        var plan = new BatchPlan(train.Count, _options.BatchSize, _options.Seed);
        var tally = new EpochAccumulator(train.Count, _model.IsClassifier);
        for (var epoch = 1; epoch <= _options.Epochs; epoch++)
        {
            plan.BeginEpoch(epoch);
            tally.BeginEpoch(epoch);
            for (var b = 0; b < plan.BatchesPerEpoch; b++)
            {
                cancel.ThrowIfCancellationRequested();
                var stepStart = Stopwatch.GetTimestamp();
                var indices = plan.Batch(b);
                using var span = Spans.StartStep(_optimizer.StepCount + 1, epoch, indices.Length);
                var (loss, right) = TrainStep(train, indices);
                span?.SetTag(SpanTags.Loss, loss);
                tally.AddStep(loss, indices.Length, right);
                StepCompleted?.Invoke(new StepMetrics(epoch, _optimizer.StepCount, loss, _optimizer.LastLr, indices.Length, Stopwatch.GetElapsedTime(stepStart).TotalSeconds));
            }

            tally.EndSteps();
            var eval = test is null ? (Evaluation?)null : Evaluate(test);
            var metrics = tally.EndEpoch(eval?.Loss, eval?.Accuracy);
            EpochCompleted?.Invoke(metrics);
        }

        return tally.Result();
    }

    /// <summary>One optimizer step on the given samples; returns the batch's mean loss and correct predictions.</summary>
    public (double Loss, int Correct) TrainStep(Dataset data, ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            throw new ArgumentException("a step needs at least one sample", nameof(indices));
        }

        var result = _body.Train(data, indices, indices.Length, _optimizer.StepCount + 1, microBatches: _options.MicroBatches);
        _optimizer.Step();
        return result;
    }

    /// <summary>Mean loss and accuracy in evaluation mode (dropout off), in fixed-size batches.</summary>
    public Evaluation Evaluate(Dataset data)
    {
        var (lossSum, correct) = _body.Evaluate(data, 0, data.Count, _options.EvalBatchSize);
        return new Evaluation(lossSum / data.Count, _model.IsClassifier ? (double)correct / data.Count : null, data.Count);
    }
}
