using System.Diagnostics;
using Distributed.Core.Collectives;
using Distributed.Core.Data;
using Distributed.Core.FullBatch;
using Distributed.Core.Models;
using Distributed.Core.Training;

namespace Distributed.Core.DataParallel;

/// <summary>One rank's iteration of a full-batch method, and how long it computed and communicated.</summary>
public readonly record struct FullBatchStepResult(IterationReport Report, double ComputeSeconds, double CommunicationSeconds);

/// <summary>
/// One rank of a distributed full-batch method (lbfgs, cg, newton): the rank's step samples are its shard of the
/// whole training set, every evaluation of f and ∇f (and every Hessian-vector product) is all-reduced
/// (<see cref="ReducedObjective"/>), and every rank runs the same method on the same values, so N ranks follow the
/// iterates one process follows. Each rank keeps the method's whole state: it is a few vectors of the parameters'
/// size, and sharding it would cost an all-gather per line-search trial.
/// </summary>
public sealed class FullBatchRank
{
    private readonly Model _model;
    private readonly FullBatchSettings _settings;
    private readonly ReducedObjective _objective;
    private readonly StepBody _body;
    private FullBatchMinimizer? _minimizer;

    /// <param name="chunk">Samples per forward pass; the coordinator's <see cref="FullBatchShards"/> must split the set in chunks of the same size.</param>
    public FullBatchRank(Model model, FullBatchSettings settings, RingCollectives ring, Dataset train, int chunk = ModelObjective.DefaultChunk)
    {
        settings.Check(model);
        _model = model;
        _settings = settings;
        _objective = new ReducedObjective(new ModelObjective(model, train, chunk), ring);
        _body = new StepBody(model, train.TargetLength);
    }

    /// <summary>The method's state on this rank, roughly: the iterate, gradients and direction, plus L-BFGS's pairs.</summary>
    public long StateBytes => (long)_model.Parameters.Count * sizeof(double) * (_settings.Method == "lbfgs" ? 2 * _settings.Options.History + 4 : 4);

    /// <summary>
    /// One iteration. <paramref name="indices"/> are this rank's samples of the whole set (possibly none);
    /// <paramref name="globalBatch"/> is the whole set's size.
    /// </summary>
    public async Task<FullBatchStepResult> StepAsync(ReadOnlyMemory<int> indices, int globalBatch, long step, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        _objective.Local.Use(indices.Span, globalBatch);
        _objective.BeginStep(step);
        _minimizer ??= _settings.Create(_objective, Parameters.Read(_model));
        var report = await _minimizer.StepAsync(cancel).ConfigureAwait(false);
        Parameters.Write(_model, _minimizer.X);
        var communication = _objective.CommunicationSeconds;
        return new FullBatchStepResult(report, Stopwatch.GetElapsedTime(started).TotalSeconds - communication, communication);
    }

    /// <summary>Loss summed over samples and correct predictions on [start, start + count) of <paramref name="data"/>.</summary>
    public (double LossSum, long Correct) EvaluateRange(Dataset data, int start, int count, int batchSize = 256) =>
        _body.Evaluate(data, start, count, batchSize);
}
