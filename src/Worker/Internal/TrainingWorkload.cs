using Distributed.Core.Checkpoints;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
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

    public Ready Describe(int worldSize, int rank) => new()
    {
        ParameterChecksum = ParameterChecksum.Of(model.Parameters.Values.Span),
        ParameterCount = model.Parameters.Count,
        TrainSamples = data.Train.Count,
        TestSamples = data.Test?.Count ?? 0,
    };

    public async Task RunAsync(WorkerContext context, CancellationToken cancel)
    {
        _trainer = new DataParallelTrainer(model, optimizer, schedule, context.Ring, parallel, data.Train.TargetLength);
        var ready = Describe(context.WorldSize, context.Rank);
        ready.OptimizerStateBytes = _trainer.OptimizerStateBytes;
        context.Session.Send(new WorkerMessage { Ready = ready });

        var indices = Array.Empty<int>();
        while (true)
        {
            var message = await context.Session.NextAsync(cancel).ConfigureAwait(false);
            switch (message.BodyCase)
            {
                case CoordinatorMessage.BodyOneofCase.Start:
                    break;
                case CoordinatorMessage.BodyOneofCase.Step:
                    var step = message.Step;
                    if (indices.Length < step.Indices.Count)
                    {
                        indices = new int[step.Indices.Count];
                    }

                    step.Indices.CopyTo(indices, 0);
                    CheckIndices(indices.AsSpan(0, step.Indices.Count), data.Train.Count, step.Step);
                    var result = await _trainer.StepAsync(data.Train, indices.AsMemory(0, step.Indices.Count), step.GlobalBatch, step.Step, cancel).ConfigureAwait(false);
                    context.Session.Send(new WorkerMessage
                    {
                        StepDone = new StepDone
                        {
                            Step = step.Step,
                            Loss = result.Loss,
                            Correct = result.Correct,
                            Samples = step.Indices.Count,
                            ComputeSeconds = result.ComputeSeconds,
                            CommunicationSeconds = result.CommunicationSeconds,
                            AllocatedBytes = GC.GetTotalAllocatedBytes(),
                        },
                    });
                    break;
                case CoordinatorMessage.BodyOneofCase.Eval:
                    var eval = message.Eval;
                    var test = data.Test ?? throw new WorkerException("asked to evaluate, but this worker has no test set");
                    if (eval.Start < 0 || eval.Count < 0 || eval.Start + eval.Count > test.Count)
                    {
                        throw new WorkerException($"evaluation range [{eval.Start}, {eval.Start + eval.Count}) is outside the {test.Count} test samples");
                    }

                    var (lossSum, correct) = _trainer.EvaluateRange(test, eval.Start, eval.Count);
                    context.Session.Send(new WorkerMessage { EvalDone = new EvalDone { Epoch = eval.Epoch, LossSum = lossSum, Correct = correct, Samples = eval.Count } });
                    break;
                case CoordinatorMessage.BodyOneofCase.Finish:
                    Finish(context);
                    return;
                default:
                    throw new WorkerException($"unexpected message from the coordinator: {message.BodyCase}");
            }
        }
    }

    private void Finish(WorkerContext context)
    {
        var values = model.Parameters.Values.Span;
        if (context.Rank == 0 && savePath is not null)
        {
            ParameterFile.Write(savePath, values);
            context.Log.WriteLine($"saved {values.Length:N0} parameters to {savePath}");
        }

        var finished = new Finished { ParameterChecksum = ParameterChecksum.Of(values) };
        if (values.Length <= 16)
        {
            finished.Parameters.AddRange(values.ToArray());
        }

        context.Session.Send(new WorkerMessage { Finished = finished });
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
