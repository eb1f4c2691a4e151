using System.Diagnostics;
using System.Runtime.CompilerServices;
using Distributed.Core.Checkpoints;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Telemetry;
using Distributed.Core.Training;
using Distributed.Protocol;

namespace Distributed.Worker.Internal;

/// <summary>
/// Data-parallel training on one rank: for each step the coordinator assigns, compute the shard's gradient, reduce
/// it in buckets with the other ranks, update this rank's ZeRO slice; evaluate the test range it is given; at the
/// end report a checksum of the parameters (every rank must hold the same ones) and, on rank 0, save them.
/// </summary>
internal sealed class TrainingWorkload(Model model, OptimizerSettings optimizer, LearningRateSchedule schedule, DataSplit data, DataParallelOptions parallel, string? savePath) : IWorkload
{
    private DataParallelTrainer? _trainer;
    private FullBatchRank? _fullBatch;
    private long _lastStep;

    /// <summary>What evaluations allocated (the first sizes its batch buffers), left out of the steps' allocation counter.</summary>
    private long _allocatedByEvaluation;
    private int[] _indices = [];

    public Ready Describe(int worldSize, int rank)
    {
        model.Backend.Download(model.Parameters.Values);
        return new()
        {
            ParameterChecksum = ParameterChecksum.Of(model.Parameters.Values.Span),
            ParameterCount = model.Parameters.Count,
            TrainSamples = data.Train.Count,
            TestSamples = data.Test?.Count ?? 0,
        };
    }

    public async Task RunAsync(WorkerContext context, CancellationToken cancel)
    {
        var ready = Describe(context.WorldSize, context.Rank);
        if (optimizer.IsFullBatch)
        {
            _fullBatch = new FullBatchRank(model, optimizer.FullBatch(), context.Ring, data.Train);
            ready.OptimizerStateBytes = _fullBatch.StateBytes;
        }
        else
        {
            _trainer = new DataParallelTrainer(model, optimizer, schedule, context.Ring, parallel, data.Train.TargetLength);
            ready.OptimizerStateBytes = _trainer.OptimizerStateBytes;
            if (context.ResumeFrom is { } directory)
            {
                // The coordinator verified this checkpoint and checked it fits this run; the shards are checked again as read.
                _trainer.Resume(new ResumePoint(directory, CheckpointManifest.Read(directory)));
                model.Backend.Download(model.Parameters.Values);
                ready.ParameterChecksum = ParameterChecksum.Of(model.Parameters.Values.Span);
                context.Log.WriteLine($"loaded checkpoint {directory}");
            }
        }

        context.Session.Send(new WorkerMessage { Ready = ready });

        while (true)
        {
            var message = await context.Session.NextAsync(cancel).ConfigureAwait(false);
            switch (message.BodyCase)
            {
                case CoordinatorMessage.BodyOneofCase.Start:
                    break;
                case CoordinatorMessage.BodyOneofCase.Steps:
                    // One report for the batch, sent when its last step is done: the coordinator has already sent the
                    // next batch, so this rank never waits on the control plane between steps.
                    var reports = new StepDoneBatch();
                    foreach (var step in message.Steps.Steps)
                    {
                        reports.Steps.Add(await StepAsync(step, context, cancel).ConfigureAwait(false));
                    }

                    context.Session.Send(new WorkerMessage { StepsDone = reports });
                    context.Telemetry.Flush();
                    break;
                case CoordinatorMessage.BodyOneofCase.Eval:
                    var eval = message.Eval;
                    var test = data.Test ?? throw new WorkerException("asked to evaluate, but this worker has no test set");
                    if (eval.Start < 0 || eval.Count < 0 || eval.Start + eval.Count > test.Count)
                    {
                        throw new WorkerException($"evaluation range [{eval.Start}, {eval.Start + eval.Count}) is outside the {test.Count} test samples");
                    }

                    double lossSum;
                    long correct;
                    var allocatedBefore = GC.GetTotalAllocatedBytes();
                    using (var span = Spans.StartChild(Spans.Evaluate, context.Telemetry.RankTag, TraceContext.Extract(eval.TraceContext)))
                    {
                        span?.SetTag(SpanTags.Epoch, eval.Epoch);
                        (lossSum, correct) = _fullBatch?.EvaluateRange(test, eval.Start, eval.Count) ?? _trainer!.EvaluateRange(test, eval.Start, eval.Count);
                    }

                    _allocatedByEvaluation += GC.GetTotalAllocatedBytes() - allocatedBefore;
                    context.Session.Send(new WorkerMessage { EvalDone = new EvalDone { Epoch = eval.Epoch, LossSum = lossSum, Correct = correct, Samples = eval.Count } });
                    break;
                case CoordinatorMessage.BodyOneofCase.Finish:
                    Finish(context, message.Finish);
                    return;
                default:
                    throw new WorkerException($"unexpected message from the coordinator: {message.BodyCase}");
            }
        }
    }

    /// <summary>One assigned step on this rank: compute, reduce, update (and write a checkpoint shard when asked); returns its report.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<StepDone> StepAsync(StepAssignment step, WorkerContext context, CancellationToken cancel)
    {
        if (_indices.Length < step.Indices.Count)
        {
            _indices = new int[step.Indices.Count];
        }

        step.Indices.CopyTo(_indices, 0);
        _lastStep = step.Step;
        var indices = _indices.AsMemory(0, step.Indices.Count);
        CheckIndices(indices.Span, data.Train.Count, step.Step);
        if (_fullBatch is not null)
        {
            return await FullBatchStepAsync(_fullBatch, step, indices, context, cancel).ConfigureAwait(false);
        }

        var sentBefore = context.Ring.BytesSent;
        ShardStepResult result;
        using (var span = StartStepSpan(step, context))
        {
            result = await _trainer!.StepAsync(data.Train, indices, step.GlobalBatch, step.FirstPosition, step.Step, cancel).ConfigureAwait(false);
            if (span is not null && step.Indices.Count > 0)
            {
                // The rank's share of the global mean, as the mean over its own samples.
                span.SetTag(SpanTags.Loss, result.Loss * step.GlobalBatch / step.Indices.Count);
            }
        }

        var sent = context.Ring.BytesSent - sentBefore;
        var done = StepReport(step, result.Loss, result.Correct, result.ComputeSeconds, result.CommunicationSeconds, sent);
        done.Skipped = result.Skipped;
        if (step.CheckpointDirectory is { Length: > 0 } checkpoint)
        {
            done.Checkpoint = WriteCheckpoint(_trainer, checkpoint, step, context);
        }

        Record(result, sent, context.Telemetry.RankTag);
        return done;
    }

    /// <summary>What every step report says: which step, its loss and correct count over this rank's samples, and what it cost.</summary>
    private StepDone StepReport(StepAssignment step, double loss, long correct, double computeSeconds, double communicationSeconds, long bytesSent) => new()
    {
        Step = step.Step,
        Loss = loss,
        Correct = correct,
        Samples = step.Indices.Count,
        ComputeSeconds = computeSeconds,
        CommunicationSeconds = communicationSeconds,
        BytesSent = bytesSent,
        AllocatedBytes = GC.GetTotalAllocatedBytes() - _allocatedByEvaluation,
    };

    /// <summary>This rank's shard of the checkpoint after <paramref name="step"/>, and what the manifest needs of it.</summary>
    private CheckpointShardWritten WriteCheckpoint(DataParallelTrainer trainer, string directory, StepAssignment step, WorkerContext context)
    {
        var started = Stopwatch.GetTimestamp();
        CheckpointShard shard;
        using (var span = Spans.StartChild(Spans.Checkpoint, context.Telemetry.RankTag, TraceContext.Extract(step.TraceContext)))
        {
            span?.SetTag(SpanTags.File, directory);
            shard = trainer.WriteCheckpointShard(directory);
        }

        model.Backend.Download(model.Parameters.Values);
        return new CheckpointShardWritten
        {
            File = shard.File,
            Offset = shard.Offset,
            Length = shard.Length,
            Bytes = shard.Bytes,
            Sha256 = shard.Sha256,
            Seconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            ParameterChecksum = ParameterChecksum.Of(model.Parameters.Values.Span),
        };
    }

    /// <summary>One iteration of a full-batch method; every rank reports the all-reduced loss, which the coordinator takes from rank 0.</summary>
    private async Task<StepDone> FullBatchStepAsync(FullBatchRank rank, StepAssignment step, ReadOnlyMemory<int> indices, WorkerContext context, CancellationToken cancel)
    {
        var sentBefore = context.Ring.BytesSent;
        FullBatchStepResult result;
        using (var span = StartStepSpan(step, context))
        {
            result = await rank.StepAsync(indices, step.GlobalBatch, step.Step, cancel).ConfigureAwait(false);
            span?.SetTag(SpanTags.Loss, result.Report.Loss);
        }

        var sent = context.Ring.BytesSent - sentBefore;
        var report = result.Report;
        var done = StepReport(step, report.Loss, report.Correct, result.ComputeSeconds, result.CommunicationSeconds, sent);
        done.GradientNorm = report.GradientNorm;
        done.FunctionEvaluations = report.Evaluations;
        done.HessianProducts = report.HessianProducts;
        done.StepLength = report.StepLength;
        Record(new ShardStepResult(report.Loss, (int)report.Correct, result.ComputeSeconds, result.CommunicationSeconds), sent, context.Telemetry.RankTag);
        return done;
    }

    private void Finish(WorkerContext context, Protocol.Finish finish)
    {
        model.Backend.Download(model.Parameters.Values);
        var values = model.Parameters.Values.Span;
        NonFiniteGuard.CheckFinalParameters(values, _lastStep);
        if (context.Rank == 0 && savePath is not null)
        {
            using (var span = Spans.StartChild(Spans.Checkpoint, context.Telemetry.RankTag, TraceContext.Extract(finish.TraceContext)))
            {
                span?.SetTag(SpanTags.File, savePath);
                ParameterFile.Write(savePath, values);
            }

            context.Log.WriteLine($"saved {values.Length:N0} parameters to {savePath}");
        }

        context.Telemetry.Flush();

        var finished = new Finished { ParameterChecksum = ParameterChecksum.Of(values) };
        if (values.Length <= 16)
        {
            finished.Parameters.AddRange(values.ToArray());
        }

        context.Session.Send(new WorkerMessage { Finished = finished });
    }

    /// <summary>This rank's span of a step, a child of the coordinator's span for it (its context travels in the assignment).</summary>
    private static Activity? StartStepSpan(StepAssignment step, WorkerContext context)
    {
        var span = Spans.StartStep(step.Step, step.Epoch, step.GlobalBatch, TraceContext.Extract(step.TraceContext), ActivityKind.Consumer);
        if (span is not null)
        {
            span.SetTag(SpanTags.Rank, context.Telemetry.RankTag);
            span.SetTag(SpanTags.WorldSize, context.WorldSize);
            span.SetTag(SpanTags.LocalBatch, step.Indices.Count);
        }

        return span;
    }

    private static void Record(ShardStepResult result, long bytesSent, object rank)
    {
        if (!Instruments.RankCompute.Enabled && !Instruments.RankCommunication.Enabled && !Instruments.RankBytesSent.Enabled)
        {
            return;
        }

        var tags = new TagList { { SpanTags.Rank, rank } };
        Instruments.RankCompute.Record(result.ComputeSeconds, tags);
        Instruments.RankCommunication.Record(result.CommunicationSeconds, tags);
        Instruments.RankBytesSent.Add(bytesSent, tags);
    }

    private static void CheckIndices(ReadOnlySpan<int> indices, int count, long step)
    {
        foreach (var i in indices)
        {
            if ((uint)i >= (uint)count)
            {
                throw new WorkerException($"step {step} assigns sample {i}, but the training set has {count}");
            }
        }
    }
}
