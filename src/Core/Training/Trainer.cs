using System.Diagnostics;
using Distributed.Core.Checkpoints;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Telemetry;

namespace Distributed.Core.Training;

/// <param name="MicroBatches">Parts each batch goes through forward and backward in, its gradients summed before the one optimizer step (gradient accumulation).</param>
/// <param name="OnNonFinite">What a step with a non-finite gradient does.</param>
/// <param name="MaxSkips">Under <see cref="NonFinitePolicy.Skip"/>, how many steps may be skipped before training stops.</param>
public sealed record TrainOptions(
    int Epochs, int BatchSize, ulong Seed, int EvalBatchSize = 1000, int MicroBatches = 1,
    NonFinitePolicy OnNonFinite = NonFinitePolicy.Stop, int MaxSkips = NonFiniteGuard.DefaultMaxSkips)
{
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MicroBatches, "micro-batches");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, "epochs");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, "batch size");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvalBatchSize, "evaluation batch size");
        ArgumentOutOfRangeException.ThrowIfNegative(MaxSkips, "max skips");
    }
}

/// <summary>
/// The single-process training loop: for each batch, <see cref="StepBody"/>'s forward and backward, the non-finite
/// check, then the optimizer step. The whole step is <see cref="TrainStep"/>; everything else is bookkeeping:
/// epochs, checkpoints (<see cref="Checkpoints"/>) and continuing from one (<see cref="Resume"/>).
/// </summary>
public sealed class Trainer
{
    private readonly Model _model;
    private readonly Optimizer _optimizer;
    private readonly TrainOptions _options;
    private readonly StepBody _body;
    private readonly NonFiniteGuard _guard;
    private CheckpointManifest? _resumeFrom;

    public Trainer(Model model, Optimizer optimizer, TrainOptions options, int targetLength)
    {
        options.Validate();
        _model = model;
        _optimizer = optimizer;
        _options = options;
        _body = new StepBody(model, targetLength);
        _guard = new NonFiniteGuard(options.OnNonFinite, options.MaxSkips);
    }

    public event Action<StepMetrics>? StepCompleted;

    public event Action<EpochMetrics>? EpochCompleted;

    /// <summary>Hears each checkpoint written: its directory and the seconds writing it took.</summary>
    public event Action<string, double>? CheckpointWritten;

    /// <summary>Where and when <see cref="Fit"/> writes checkpoints; null: never.</summary>
    public CheckpointPolicy? Checkpoints { get; init; }

    /// <summary>Steps taken, skipped ones included.</summary>
    public long Steps { get; private set; }

    /// <summary>Steps whose gradient was not finite and which changed nothing (<see cref="NonFinitePolicy.Skip"/>).</summary>
    public long SkippedSteps => _guard.Skipped;

    /// <summary>Loads a verified checkpoint (parameters, optimizer state, position); <see cref="Fit"/> then continues where it was taken.</summary>
    public void Resume(ResumePoint from)
    {
        TrainingState.Load(from.Directory, from.Manifest, _model, _optimizer, new ShardInfo(0, _model.Parameters.Count));
        Steps = from.Manifest.Step;
        _guard.Skipped = from.Manifest.SkippedSteps;
        _resumeFrom = from.Manifest;
    }

    public TrainingResult Fit(Dataset train, Dataset? test, CancellationToken cancel = default)
    {
        var plan = new BatchPlan(train.Count, _options.BatchSize, _options.Seed);
        var tally = new EpochAccumulator(train.Count, _model.IsClassifier);
        var (firstEpoch, firstBatch) = _resumeFrom is { } from ? (from.Epoch, from.BatchesDone) : (1, 0);
        for (var epoch = firstEpoch; epoch <= _options.Epochs; epoch++)
        {
            plan.BeginEpoch(epoch);
            var resumed = epoch == firstEpoch && _resumeFrom is not null;
            tally.BeginEpoch(epoch, resumed ? _resumeFrom!.EpochLossSum : 0, resumed ? _resumeFrom!.EpochCorrect : 0);
            for (var b = epoch == firstEpoch ? firstBatch : 0; b < plan.BatchesPerEpoch; b++)
            {
                cancel.ThrowIfCancellationRequested();
                var stepStart = Stopwatch.GetTimestamp();
                var indices = plan.Batch(b);
                using var span = Spans.StartStep(Steps + 1, epoch, indices.Length);
                var (loss, right) = TrainStep(train, indices);
                span?.SetTag(SpanTags.Loss, loss);
                tally.AddStep(loss, indices.Length, right);
                StepCompleted?.Invoke(new StepMetrics(epoch, Steps, loss, _optimizer.LastLr, indices.Length, Stopwatch.GetElapsedTime(stepStart).TotalSeconds));
                if (Checkpoints?.IsDue(Steps, b == plan.BatchesPerEpoch - 1) == true)
                {
                    WriteCheckpoint(Checkpoints, epoch, b + 1, tally);
                }
            }

            tally.EndSteps();
            var eval = test is null ? (Evaluation?)null : Evaluate(test);
            var metrics = tally.EndEpoch(eval?.Loss, eval?.Accuracy);
            EpochCompleted?.Invoke(metrics);
        }

        return tally.Result();
    }

    /// <summary>
    /// One step on the given samples: the optimizer updates unless the gradient is not finite (then
    /// <see cref="TrainOptions.OnNonFinite"/> decides). Returns the batch's mean loss and correct predictions.
    /// </summary>
    public (double Loss, int Correct) TrainStep(Dataset data, ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            throw new ArgumentException("a step needs at least one sample", nameof(indices));
        }

        Steps++;
        var result = _body.Train(data, indices, indices.Length, Steps, microBatches: _options.MicroBatches);
        var sumOfSquares = _model.Backend.SumOfSquares(_model.Parameters.Gradients);
        if (_guard.AllowsUpdate(sumOfSquares, Steps))
        {
            _optimizer.Step(sumOfSquares);
        }

        return result;
    }

    /// <summary>Mean loss and accuracy in evaluation mode (dropout off), in fixed-size batches.</summary>
    public Evaluation Evaluate(Dataset data)
    {
        var (lossSum, correct) = _body.Evaluate(data, 0, data.Count, _options.EvalBatchSize);
        return new Evaluation(lossSum / data.Count, _model.IsClassifier ? (double)correct / data.Count : null, data.Count);
    }

    private void WriteCheckpoint(CheckpointPolicy policy, int epoch, int batchesDone, EpochAccumulator tally)
    {
        var started = Stopwatch.GetTimestamp();
        using var span = Spans.StartChild(Spans.Checkpoint, null);
        var directory = CheckpointDirectory.ForStep(policy.Root, Steps);
        var names = _optimizer.State.Select(s => s.Name).ToArray();
        var shard = TrainingState.WriteShard(directory, 0, 1, _model, _optimizer, new ShardInfo(0, _model.Parameters.Count), names);
        var (lossSum, correct) = tally.EpochSums;
        new CheckpointManifest
        {
            Config = policy.Config,
            ParameterCount = _model.Parameters.Count,
            ParameterChecksum = ParameterChecksum.Of(_model.Parameters.Values.Span),
            Step = Steps,
            OptimizerSteps = _optimizer.StepCount,
            SkippedSteps = _guard.Skipped,
            Epoch = epoch,
            BatchesDone = batchesDone,
            EpochLossSum = lossSum,
            EpochCorrect = correct,
            WorldSize = 1,
            ZeroStage = 0,
            Optimizer = _optimizer.Name,
            State = names,
            Shards = [shard],
        }.Write(directory);
        CheckpointDirectory.Prune(policy.Root, policy.Keep);
        span?.SetTag(SpanTags.File, directory);
        CheckpointWritten?.Invoke(directory, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
