using System.Diagnostics;
using System.Runtime.CompilerServices;
using Distributed.Core.Checkpoints;
using Distributed.Core.Collectives;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;
using Distributed.Core.Training;

namespace Distributed.Core.DataParallel;

/// <summary>What one rank contributed to a step: its share of the global mean loss and its correct predictions; whether every rank skipped the update (a non-finite gradient).</summary>
public readonly record struct ShardStepResult(double Loss, int Correct, double ComputeSeconds, double CommunicationSeconds, bool Skipped = false);

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
    private readonly NonFiniteGuard _guard;
    private readonly string[] _stateNames;
    private readonly Tensor[] _bucketGradients;
    private readonly Segments[] _bucketPartitions;
    private readonly Tensor _ownedValues;
    private readonly Action<int> _layerDone;
    private readonly BucketReducer _reducer;

    public DataParallelTrainer(Model model, OptimizerSettings settings, LearningRateSchedule schedule, RingCollectives ring, DataParallelOptions options, int targetLength)
    {
        options.Validate();
        _model = model;
        _ring = ring;
        _options = options;
        _buckets = new GradientBuckets(model.Network, options.BucketFloats);
        _body = new StepBody(model, targetLength);
        _guard = new NonFiniteGuard(options.OnNonFinite, options.MaxSkips);

        var parameters = model.Parameters;
        Partition = ZeroPartition.Of(parameters.Count, ring.WorldSize);
        Shard = ZeroPartition.Owned(options.Zero, Partition, ring.Rank);
        if (Shard.Length > 0)
        {
            _optimizer = settings.Create(model.Backend, parameters.Values.Slice(Shard.Offset, Shard.Length), parameters.Gradients.Slice(Shard.Offset, Shard.Length), schedule);
        }

        // An optimizer over one parameter says what state the real one keeps, also on a rank whose slice is empty.
        var probe = settings.Create(model.Backend, new Tensor(1), new Tensor(1), null);
        OptimizerStateBytes = (long)Shard.Length * probe.StateFloatsPerParameter * sizeof(float);
        _stateNames = [.. probe.State.Select(s => s.Name)];
        _bucketGradients = [.. _buckets.Buckets.Select(b => parameters.Gradients.Slice(b.Start, b.Length))];
        _bucketPartitions = [.. _buckets.Buckets.Select(b => Segments.Clip(Partition, b.Start, b.Length))];
        _ownedValues = parameters.Values.Slice(Shard.Offset, Shard.Length);
        _reducer = new BucketReducer(_buckets.Buckets.Count, StartReduction, bucket => _model.Backend.Upload(_bucketGradients[bucket]));
        _layerDone = layer =>
        {
            if (_buckets.BucketOfLayer[layer] is var b && b >= 0)
            {
                _reducer.Launch(b);
            }
        };
    }

    /// <summary>The slice of the flat parameters this rank's optimizer updates (everything under stage 0).</summary>
    public ShardInfo Shard { get; }

    /// <summary>How the flat parameters are divided among ranks under stages 1 and 2.</summary>
    public Segments Partition { get; }

    /// <summary>Bytes of optimizer state this rank holds: ⌈P/N⌉ × state floats per parameter × 4 under stages 1 and 2.</summary>
    public long OptimizerStateBytes { get; }

    public IReadOnlyList<GradientBucket> Buckets => _buckets.Buckets;

    /// <summary>Steps every rank skipped for a non-finite gradient (<see cref="NonFinitePolicy.Skip"/>).</summary>
    public long SkippedSteps => _guard.Skipped;

    /// <summary>
    /// Writes this rank's shard of a checkpoint of the state after the last step (its range of the parameters and
    /// of the optimizer state); the coordinator writes the manifest once every rank's shard is in.
    /// </summary>
    public CheckpointShard WriteCheckpointShard(string stepDirectory) =>
        TrainingState.WriteShard(stepDirectory, _ring.Rank, _ring.WorldSize, _model, _optimizer, Shard, _stateNames);

    /// <summary>Loads a verified checkpoint written by any number of ranks under any stage: the parameters, and this rank's slice of the optimizer state.</summary>
    public void Resume(ResumePoint from)
    {
        TrainingState.Load(from.Directory, from.Manifest, _model, _optimizer, Shard);
        _guard.Skipped = from.Manifest.SkippedSteps;
    }

    /// <summary>
    /// One synchronous step. <paramref name="indices"/> are this rank's samples (possibly none), starting at
    /// <paramref name="firstPosition"/> in the global batch of <paramref name="globalBatch"/> samples.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ShardStepResult> StepAsync(Dataset data, ReadOnlyMemory<int> indices, int globalBatch, int firstPosition, long step, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(globalBatch);
        var started = Stopwatch.GetTimestamp();
        _reducer.Begin(step, cancel);
        // Buckets reduced during backward wait beside the compute on the rank's core(s), so they must not spin meanwhile.
        double loss;
        int correct;
        _ring.ComputeRunning(true);
        try
        {
            (loss, correct) = _body.Train(data, indices.Span, globalBatch, step, _layerDone, _options.MicroBatches, firstPosition);
        }
        finally
        {
            _ring.ComputeRunning(false);
        }

        // A rank without samples (or a network whose first layers need no backward) still sends every bucket.
        while (_reducer.Launched < _buckets.Buckets.Count)
        {
            _reducer.Launch(_reducer.Launched);
        }

        var computeDone = Stopwatch.GetTimestamp();
        await _reducer.AllReduced().ConfigureAwait(false);
        // The optimizer step on this rank's slice, unless the reduced gradient is not finite. Σg² of the whole reduced
        // gradient decides both that and clipping, and is the same bits on every rank, so every rank decides alike;
        // it is combined here, before the step, so the optimizer itself never waits on the ring. Under stage 2 each
        // rank holds only its slice reduced (one with an empty slice adds nothing but must still join the all-reduce
        // the other ranks are in); otherwise every rank holds the whole reduced gradient and needs no communication.
        var sumOfSquares = _options.Zero == ZeroStage.Gradients
            ? await _ring.AllReduceSumAsync(_optimizer?.LocalSumOfSquares() ?? 0, CollectiveTag.GradientNorm(step), cancel).ConfigureAwait(false)
            : _model.Backend.SumOfSquares(_model.Parameters.Gradients);
        var updated = _guard.AllowsUpdate(sumOfSquares, step);
        if (updated)
        {
            _optimizer?.Step(sumOfSquares);
        }

        // A skipped step changed no slice on any rank, so there is nothing to gather.
        if (updated && _options.Zero != ZeroStage.None)
        {
            // Only this rank's updated slice leaves the device; every slice comes back.
            var values = _model.Parameters.Values;
            _model.Backend.Download(_ownedValues);
            await _ring.AllGatherAsync(values.Storage.AsMemory(values.Offset, values.Length), Partition, CollectiveTag.ParameterGather(step), cancel).ConfigureAwait(false);
            _model.Backend.Upload(values);
        }

        var end = Stopwatch.GetTimestamp();
        var compute = (computeDone - started) / (double)Stopwatch.Frequency;
        return new ShardStepResult(loss, correct, compute, (end - computeDone) / (double)Stopwatch.Frequency, !updated);
    }

    /// <summary>Loss summed over samples and correct predictions on [start, start + count) of <paramref name="data"/>, dropout off.</summary>
    public (double LossSum, long Correct) EvaluateRange(Dataset data, int start, int count, int batchSize = 256) =>
        _body.Evaluate(data, start, count, batchSize);

    /// <summary>Starts bucket <paramref name="index"/>'s reduction among the ranks (on the thread pool, while backward goes on).</summary>
    private Task StartReduction(int index, long step, CancellationToken cancel)
    {
        var bucket = _buckets.Buckets[index];
        var gradients = _model.Parameters.Gradients;
        var memory = gradients.Storage.AsMemory(gradients.Offset, gradients.Length);
        var tag = CollectiveTag.ForBucket(step, bucket.Index);

        // On a device backend the bucket's gradients come to the host for the ring and the reduced ones go back.
        _model.Backend.Download(_bucketGradients[index]);
        return _options.Zero == ZeroStage.Gradients
            ? _ring.ReduceScatterAsync(memory, _bucketPartitions[index], tag, cancel)
            : _ring.AllReduceAsync(memory.Slice(bucket.Start, bucket.Length), tag, cancel);
    }
}
