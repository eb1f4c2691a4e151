using System.Diagnostics;
using Distributed.Core.Collectives;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;
using Distributed.Core.Training;

namespace Distributed.Core.DataParallel;

/// <summary>What one rank contributed to a step: its share of the global mean loss and its correct predictions.</summary>
public readonly record struct ShardStepResult(double Loss, int Correct, double ComputeSeconds, double CommunicationSeconds);

/// <summary>
/// One rank of synchronous data-parallel training. Each step the rank runs the same <see cref="StepBody"/> as one
/// process on its shard of the global batch, with the loss divided by the global batch size, so the sum over ranks
/// is exactly the global batch's mean gradient whatever the split. Gradient buckets are reduced while backward is
/// still running; then, by ZeRO stage, every rank updates everything (0) or only its slice of the flat parameters,
/// whose updated values are all-gathered (1, 2).
/// </summary>
public sealed class DataParallelTrainer
{
    private readonly Model _model;
    private readonly RingCollectives _ring;
    private readonly DataParallelOptions _options;
    private readonly GradientBuckets _buckets;
    private readonly StepBody _body;
    private readonly Optimizer? _optimizer;
    private readonly bool _clips;

    public DataParallelTrainer(Model model, OptimizerSettings settings, LearningRateSchedule schedule, RingCollectives ring, DataParallelOptions options, int targetLength)
    {
        options.Validate();
        _model = model;
        _ring = ring;
        _options = options;
        _buckets = new GradientBuckets(model.Network, options.BucketFloats);
        _body = new StepBody(model, targetLength, ring.Rank);
        _clips = settings.MaxGradNorm is not null;

        var parameters = model.Parameters;
        Partition = ZeroPartition.Of(parameters.Count, ring.WorldSize);
        Shard = ZeroPartition.Owned(options.Zero, Partition, ring.Rank);
        if (Shard.Length > 0)
        {
            _optimizer = settings.Create(model.Backend, parameters.Values.Slice(Shard.Offset, Shard.Length), parameters.Gradients.Slice(Shard.Offset, Shard.Length), schedule);
        }

        OptimizerStateBytes = (long)Shard.Length * StateFloatsPerParameter(settings, model) * sizeof(float);
    }

    /// <summary>The slice of the flat parameters this rank's optimizer updates (everything under stage 0).</summary>
    public ShardInfo Shard { get; }

    /// <summary>How the flat parameters are divided among ranks under stages 1 and 2.</summary>
    public Segments Partition { get; }

    /// <summary>Bytes of optimizer state this rank holds: ⌈P/N⌉ × state floats per parameter × 4 under stages 1 and 2.</summary>
    public long OptimizerStateBytes { get; }

    public IReadOnlyList<GradientBucket> Buckets => _buckets.Buckets;

    /// <summary>
    /// One synchronous step. <paramref name="indices"/> are this rank's samples (possibly none);
    /// <paramref name="globalBatch"/> is the number of samples over all ranks.
    /// </summary>
    public async Task<ShardStepResult> StepAsync(Dataset data, ReadOnlyMemory<int> indices, int globalBatch, long step, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(globalBatch);
        var started = Stopwatch.GetTimestamp();
        var pending = Task.CompletedTask;
        var launched = 0;
        void Launch(int bucket)
        {
            pending = ReduceBucketAfter(pending, _buckets.Buckets[bucket], step, cancel);
            launched++;
        }

        var (loss, correct) = _body.Train(data, indices.Span, globalBatch, step, layer =>
        {
            if (_buckets.BucketOfLayer[layer] is var b && b >= 0)
            {
                Launch(b);
            }
        }, _options.MicroBatches);

        // A rank without samples (or a network whose first layers need no backward) still sends every bucket.
        while (launched < _buckets.Buckets.Count)
        {
            Launch(launched);
        }

        var computeDone = Stopwatch.GetTimestamp();
        await pending.ConfigureAwait(false);
        await UpdateAsync(step, cancel).ConfigureAwait(false);

        if (_options.Zero != ZeroStage.None)
        {
            // Only this rank's updated slice leaves the device; every slice comes back.
            var values = _model.Parameters.Values;
            _model.Backend.Download(values.Slice(Shard.Offset, Shard.Length));
            await _ring.AllGatherAsync(values.Storage.AsMemory(values.Offset, values.Length), Partition, CollectiveTag.ParameterGather(step), cancel).ConfigureAwait(false);
            _model.Backend.Upload(values);
        }

        var end = Stopwatch.GetTimestamp();
        var compute = (computeDone - started) / (double)Stopwatch.Frequency;
        return new ShardStepResult(loss, correct, compute, (end - computeDone) / (double)Stopwatch.Frequency);
    }

    /// <summary>Loss summed over samples and correct predictions on [start, start + count) of <paramref name="data"/>, dropout off.</summary>
    public (double LossSum, long Correct) EvaluateRange(Dataset data, int start, int count, int batchSize = 256) =>
        _body.Evaluate(data, start, count, batchSize);

    /// <summary>
    /// The optimizer step on this rank's slice. Clipping needs Σg² of the whole reduced gradient, which is gathered
    /// here, before the step, so the optimizer itself never waits on the ring.
    /// </summary>
    private async ValueTask UpdateAsync(long step, CancellationToken cancel)
    {
        switch (_clips ? _options.Zero : ZeroStage.None)
        {
            case ZeroStage.None:
                // Unclipped, or the slice is the whole gradient: the optimizer's own Σg² is the global one.
                _optimizer?.Step();
                break;
            case ZeroStage.OptimizerState:
                // Every rank holds the whole reduced gradient, identical everywhere, so its norm needs no communication.
                _optimizer?.Step(_model.Backend.SumOfSquares(_model.Parameters.Gradients));
                break;
            case ZeroStage.Gradients:
                // Each rank holds only its slice reduced. One with an empty slice adds nothing but must still join the
                // all-reduce the other ranks are in.
                var local = _optimizer?.LocalSumOfSquares() ?? 0;
                var global = await _ring.AllReduceScalarAsync((float)local, CollectiveTag.GradientNorm(step), cancel).ConfigureAwait(false);
                _optimizer?.Step(global);
                break;
        }
    }

    private async Task ReduceBucketAfter(Task previous, GradientBucket bucket, long step, CancellationToken cancel)
    {
        await previous.ConfigureAwait(false);

        // Leave the backward thread to go on with earlier layers while this bucket travels.
        await Task.Yield();
        var gradients = _model.Parameters.Gradients;
        var memory = gradients.Storage.AsMemory(gradients.Offset, gradients.Length);
        var tag = CollectiveTag.ForBucket(step, bucket.Index);

        // On a device backend the bucket's gradients come to the host for the ring and the reduced ones go back.
        var slice = gradients.Slice(bucket.Start, bucket.Length);
        _model.Backend.Download(slice);
        if (_options.Zero == ZeroStage.Gradients)
        {
            await _ring.ReduceScatterAsync(memory, Segments.Clip(Partition, bucket.Start, bucket.Length), tag, cancel).ConfigureAwait(false);
        }
        else
        {
            await _ring.AllReduceAsync(memory.Slice(bucket.Start, bucket.Length), tag, cancel).ConfigureAwait(false);
        }

        _model.Backend.Upload(slice);
    }

    private static int StateFloatsPerParameter(OptimizerSettings settings, Model model)
    {
        var probe = new Tensor(1);
        return settings.Create(model.Backend, probe, new Tensor(1), null).StateFloatsPerParameter;
    }
}
