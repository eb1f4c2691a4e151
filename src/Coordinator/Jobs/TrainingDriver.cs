using System.Diagnostics;
using Distributed.Core.Checkpoints;
using Distributed.Core.DataParallel;
using Distributed.Core.Telemetry;
using Distributed.Core.Training;
using Distributed.Protocol;

namespace Distributed.Coordinator.Jobs;

/// <summary>Where a distributed run's progress goes: the console, metrics files.</summary>
internal interface ITrainingReport
{
    void Line(string text);

    void Step(StepMetrics step);

    void Epoch(EpochMetrics epoch);
}

/// <summary>What a distributed training run achieved, plus the final values of a tiny model.</summary>
internal sealed record DistributedResult(TrainingResult Training, float[]? Parameters, ulong Checksum);

/// <summary>
/// Drives a training job: checks that all ranks start from identical parameters, owns the seeded epoch
/// permutation and sends each rank its indices for each step, in batches of <see cref="Window"/> steps with two
/// batches in flight (so no worker waits for the next assignment, and the control plane costs one message each way
/// per batch, not per step), sums the ranks' losses into the global batch's, has every rank evaluate a slice of the test set,
/// and at the end checks that all ranks hold bitwise-identical parameters. Each step is one trace: its span
/// opens when the step is assigned and closes when every rank has reported it, and its context travels in the
/// assignments so each rank's step span is its child.
/// </summary>
internal sealed class TrainingDriver(JobCoordinator job, ITrainingReport report, Func<long, double> learningRateAt)
{
    /// <summary>
    /// Steps per assignment message. A rank reports a batch once its last step is done, so a window of 8 costs a
    /// mini-batch of a few milliseconds per step a few tens of milliseconds of report latency, and saves 2 × 7
    /// gRPC messages per rank and window on cores the ranks share with their Kestrel servers.
    /// </summary>
    private const int Window = 8;

    /// <summary>Steps that may be assigned and not yet reported: two windows.</summary>
    private const int StepsAhead = 2 * Window;

    private readonly Dictionary<long, StepDone?[]> _stepReports = [];
    private readonly Dictionary<long, Activity> _stepSpans = [];
    private long _skipped;

    /// <summary>Called with every rank's report of each step, in rank order (benchmarks read timings and allocations).</summary>
    public Action<long, StepDone[]>? StepReported { get; init; }

    public async Task<DistributedResult> RunAsync(CancellationToken cancel)
    {
        var ranks = await job.WaitForWorkersAsync(cancel).ConfigureAwait(false);
        var plan = job.Plan;
        if (job.Rendezvous.Shortfall is { } shortfall)
        {
            report.Line(shortfall);
        }

        report.Line($"{(job.Rendezvous.Shortfall is null ? "all " : "")}{plan.WorldSize} workers joined: {string.Join(", ", ranks.Select(r => $"rank {r.Rank} at {r.Join.Address} (pid {r.Join.Pid})"))}");

        var readies = await CollectAsync(WorkerMessage.BodyOneofCase.Ready, m => m.Ready, Awaited.Ready, cancel).ConfigureAwait(false);
        CheckIdenticalStart(readies);
        var resume = plan.Resume?.Manifest;
        if (resume is not null)
        {
            if (readies[0].ParameterChecksum != resume.ParameterChecksum)
            {
                throw new JobFailedException($"the ranks loaded parameters with checksum {readies[0].ParameterChecksum:x16} from {plan.Resume!.Directory}, whose manifest says {resume.ParameterChecksum:x16}");
            }

            report.Line($"resumed from {plan.Resume!.Directory}: step {resume.Step}, epoch {resume.Epoch} after {resume.BatchesDone} batches (written by {resume.WorldSize} ranks, ZeRO stage {resume.ZeroStage})");
        }

        foreach (var (ready, rank) in readies.Select((r, i) => (r, i)))
        {
            report.Line($"rank {rank}: optimizer state {ready.OptimizerStateBytes:N0} bytes for {ready.ParameterCount:N0} parameters");
        }

        // Before the start goes out, so that what the callback resets cannot race the ranks' first reports.
        Started?.Invoke();
        job.Broadcast(new CoordinatorMessage { Start = new Start() });
        var batches = new BatchPlan(plan.TrainSamples, plan.BatchSize, plan.Seed);
        var tally = new EpochAccumulator(plan.TrainSamples, plan.Classifier);
        long step = resume?.Step ?? 0;
        _skipped = resume?.SkippedSteps ?? 0;
        var (firstEpoch, firstBatch) = resume is null ? (1, 0) : (resume.Epoch, resume.BatchesDone);
        for (var epoch = firstEpoch; epoch <= plan.Epochs; epoch++)
        {
            batches.BeginEpoch(epoch);
            var startBatch = epoch == firstEpoch ? firstBatch : 0;
            var firstStep = step + 1 - startBatch;
            tally.BeginEpoch(epoch, epoch == firstEpoch ? resume?.EpochLossSum ?? 0 : 0, epoch == firstEpoch ? resume?.EpochCorrect ?? 0 : 0);
            var assigned = startBatch;
            void AssignWindow()
            {
                var end = Math.Min(assigned + Window, batches.BatchesPerEpoch);
                if (end > assigned)
                {
                    Assign(batches, assigned, end, firstStep, epoch);
                    assigned = end;
                }
            }

            AssignWindow();
            AssignWindow();

            for (var b = startBatch; b < batches.BatchesPerEpoch; b++)
            {
                step = firstStep + b;
                var stepStart = Stopwatch.GetTimestamp();
                var reports = await CollectStepAsync(step, cancel).ConfigureAwait(false);

                // A full-batch method's ranks all hold the all-reduced loss: rank 0's is the whole set's.
                var fullBatch = reports[0].HasGradientNorm;
                var loss = fullBatch ? reports[0].Loss : reports.Sum(r => r.Loss);
                EndStepSpan(step, loss);
                StepReported?.Invoke(step, reports);
                if ((b + 1 - startBatch) % Window == 0)
                {
                    // A window is done: the ranks are busy with the next one, so send the one after it.
                    AssignWindow();
                }

                var batch = batches.Batch(b).Length;
                tally.AddStep(loss, batch, fullBatch ? reports[0].Correct : reports.Sum(r => r.Correct));
                if (reports[0].Skipped)
                {
                    _skipped++;
                    report.Line($"step {step}: the gradient was not finite; every rank skipped the update ({_skipped} skipped so far)");
                }

                if (reports[0].Checkpoint is not null)
                {
                    WriteManifest(reports, step, epoch, b + 1, tally);
                }

                var seconds = Stopwatch.GetElapsedTime(stepStart).TotalSeconds;
                report.Step(fullBatch
                    ? new StepMetrics(epoch, step, loss, reports[0].StepLength, batch, seconds, reports[0].GradientNorm, reports[0].FunctionEvaluations, reports[0].HessianProducts)
                    : new StepMetrics(epoch, step, loss, learningRateAt(step - 1), batch, seconds));
            }

            tally.EndSteps();
            var (testLoss, testAccuracy) = plan.TestSamples > 0 ? await EvaluateAsync(epoch, step, cancel).ConfigureAwait(false) : (null, null);
            report.Epoch(tally.EndEpoch(testLoss, testAccuracy));
        }

        Finished[] finals;
        using (var span = Spans.StartChild(Spans.Finish, null))
        {
            var finish = new Finish();
            TraceContext.Inject(span, finish.TraceContext);
            job.Broadcast(new CoordinatorMessage { Finish = finish });
            finals = await CollectAsync(WorkerMessage.BodyOneofCase.Finished, m => m.Finished, new Awaited(step, "every rank's final checksum"), cancel).ConfigureAwait(false);
        }

        var checksum = finals[0].ParameterChecksum;
        var differing = Array.FindIndex(finals, f => f.ParameterChecksum != checksum);
        if (differing > 0)
        {
            throw new JobFailedException($"rank {differing} ended with different parameters from rank 0 (checksum {finals[differing].ParameterChecksum:x16} vs {checksum:x16})");
        }

        return new DistributedResult(tally.Result(), finals[0].Parameters.Count > 0 ? finals[0].Parameters.ToArray() : null, checksum);
    }

    /// <summary>Hears that every rank is ready (its checkpoint loaded, when resuming) and is about to be told to start.</summary>
    public Action? Started { get; init; }

    /// <summary>Steps every rank skipped for a non-finite gradient, this run and the ones it resumed.</summary>
    public long SkippedSteps => _skipped;

    /// <summary>Sends every rank its part of batches [<paramref name="from"/>, <paramref name="to"/>) of the epoch, one message each; batch b is step <paramref name="firstStep"/> + b.</summary>
    private void Assign(BatchPlan batches, int from, int to, long firstStep, int epoch)
    {
        var messages = job.Ranks.Select(_ => new StepBatch()).ToArray();
        var fullBatch = job.Plan.FullBatchChunk > 0;
        for (var batchIndex = from; batchIndex < to; batchIndex++)
        {
            var step = firstStep + batchIndex;
            var global = batches.Batch(batchIndex);
            var span = StartStepSpan(step, epoch, global.Length);
            var checkpoint = job.Plan.Checkpoints is { } policy && policy.IsDue(step, batchIndex == batches.BatchesPerEpoch - 1)
                ? CheckpointDirectory.ForStep(policy.Root, step)
                : "";
            foreach (var session in job.Ranks)
            {
                var (start, count) = fullBatch
                    ? FullBatchShards.Of(global.Length, session.Rank, job.Plan.WorldSize, job.Plan.FullBatchChunk)
                    : BatchShards.Of(global.Length, session.Rank, job.Plan.WorldSize);
                var assignment = new StepAssignment
                {
                    Step = step, Epoch = epoch, GlobalBatch = global.Length, FirstPosition = start, CheckpointDirectory = checkpoint, SentUnixNanos = ClockSync.NowUnixNanos(),
                };
                TraceContext.Inject(span, assignment.TraceContext);

                // A full-batch step covers every sample, so whole chunks in sample order say the same set, split exactly.
                assignment.Indices.AddRange(fullBatch ? Enumerable.Range(start, count) : global.Slice(start, count).ToArray());
                messages[session.Rank].Steps.Add(assignment);
            }
        }

        foreach (var session in job.Ranks)
        {
            session.Send(new CoordinatorMessage { Steps = messages[session.Rank] });
        }
    }

    /// <summary>
    /// Every rank has written its shard of the checkpoint after <paramref name="step"/>: check they agree on the
    /// parameters, write the manifest (which makes the checkpoint exist), and drop the oldest beyond the keep count.
    /// </summary>
    private void WriteManifest(StepDone[] reports, long step, int epoch, int batchesDone, EpochAccumulator tally)
    {
        var policy = job.Plan.Checkpoints!;
        var directory = CheckpointDirectory.ForStep(policy.Root, step);
        var missing = Array.FindIndex(reports, r => r.Checkpoint is null);
        var differing = Array.FindIndex(reports, r => r.Checkpoint?.ParameterChecksum != reports[0].Checkpoint.ParameterChecksum);
        if (missing >= 0 || differing >= 0)
        {
            throw new JobFailedException(missing >= 0
                ? $"rank {missing} did not write its shard of checkpoint {directory}"
                : $"rank {differing} holds different parameters from rank 0 at checkpoint step {step}");
        }

        var (lossSum, correct) = tally.EpochSums;
        var first = reports[0].Checkpoint;
        new CheckpointManifest
        {
            Config = policy.Config,
            ParameterCount = reports.Sum(r => r.Checkpoint.Length),
            ParameterChecksum = first.ParameterChecksum,
            Step = step,
            OptimizerSteps = step - _skipped,
            SkippedSteps = _skipped,
            Epoch = epoch,
            BatchesDone = batchesDone,
            EpochLossSum = lossSum,
            EpochCorrect = correct,
            WorldSize = job.Plan.WorldSize,
            ZeroStage = job.Plan.ZeroStage,
            Optimizer = job.Plan.OptimizerName,
            State = job.Plan.OptimizerState,
            Shards = [.. reports.Select(r => new CheckpointShard(r.Checkpoint.File, r.Checkpoint.Offset, r.Checkpoint.Length, r.Checkpoint.Bytes, r.Checkpoint.Sha256))],
        }.Write(directory);
        CheckpointDirectory.Prune(policy.Root, policy.Keep);
        var bytes = reports.Sum(r => r.Checkpoint.Bytes);
        report.Line($"checkpoint {directory}: {bytes / 1e6:0.###} MB in {reports.Length} shards, slowest rank {reports.Max(r => r.Checkpoint.Seconds) * 1000:0.#} ms");
    }

    /// <summary>The root of a step's trace, kept open (but not current) while later steps are assigned.</summary>
    private Activity? StartStepSpan(long step, int epoch, int globalBatch)
    {
        var span = Spans.StartDetached(Spans.Step);
        if (span is not null)
        {
            span.SetTag(SpanTags.Step, step);
            span.SetTag(SpanTags.Epoch, epoch);
            span.SetTag(SpanTags.GlobalBatch, globalBatch);
            span.SetTag(SpanTags.WorldSize, job.Plan.WorldSize);
            _stepSpans[step] = span;
        }

        return span;
    }

    private void EndStepSpan(long step, double loss)
    {
        if (_stepSpans.Remove(step, out var span))
        {
            span.SetTag(SpanTags.Loss, loss);
            Spans.StopDetached(span);
        }
    }

    private async Task<StepDone[]> CollectStepAsync(long step, CancellationToken cancel)
    {
        while (true)
        {
            if (_stepReports.TryGetValue(step, out var got) && got.All(r => r is not null))
            {
                _stepReports.Remove(step);
                return got!;
            }

            var awaited = new Awaited(step, $"every rank's report of step {step}");
            var (rank, message) = await job.NextAsync(awaited, cancel).ConfigureAwait(false);
            if (message.BodyCase != WorkerMessage.BodyOneofCase.StepDone || message.StepDone.Step < step || message.StepDone.Step >= step + StepsAhead)
            {
                throw JobCoordinator.Unexpected(rank, message, awaited);
            }

            if (!_stepReports.TryGetValue(message.StepDone.Step, out var slot))
            {
                _stepReports[message.StepDone.Step] = slot = new StepDone?[job.Plan.WorldSize];
            }

            slot[rank] = message.StepDone;
        }
    }

    private async Task<(double? Loss, double? Accuracy)> EvaluateAsync(int epoch, long step, CancellationToken cancel)
    {
        using var span = Spans.StartChild(Spans.Evaluate, null);
        span?.SetTag(SpanTags.Epoch, epoch);
        foreach (var session in job.Ranks)
        {
            var (start, count) = BatchShards.Of(job.Plan.TestSamples, session.Rank, job.Plan.WorldSize);
            var request = new EvalRequest { Epoch = epoch, Start = start, Count = count };
            TraceContext.Inject(span, request.TraceContext);
            session.Send(new CoordinatorMessage { Eval = request });
        }

        var results = await CollectAsync(WorkerMessage.BodyOneofCase.EvalDone, m => m.EvalDone, new Awaited(step, $"every rank's evaluation after epoch {epoch}"), cancel).ConfigureAwait(false);
        var total = (double)job.Plan.TestSamples;
        var correct = results.Sum(r => r.Correct);
        return (results.Sum(r => r.LossSum) / total, job.Plan.Classifier ? correct / total : null);
    }

    private async Task<T[]> CollectAsync<T>(WorkerMessage.BodyOneofCase kind, Func<WorkerMessage, T> select, Awaited awaited, CancellationToken cancel)
        where T : class
    {
        var results = new T?[job.Plan.WorldSize];
        var remaining = results.Length;
        while (remaining > 0)
        {
            var (rank, message) = await job.NextAsync(awaited, cancel).ConfigureAwait(false);
            if (message.BodyCase != kind || results[rank] is not null)
            {
                throw JobCoordinator.Unexpected(rank, message, awaited);
            }

            results[rank] = select(message);
            remaining--;
        }

        return results!;
    }

    private void CheckIdenticalStart(Ready[] readies)
    {
        for (var r = 1; r < readies.Length; r++)
        {
            if (readies[r].ParameterChecksum != readies[0].ParameterChecksum)
            {
                throw new JobFailedException($"rank {r} starts from different parameters than rank 0 (checksum {readies[r].ParameterChecksum:x16} vs {readies[0].ParameterChecksum:x16})");
            }

            if (readies[r].TrainSamples != job.Plan.TrainSamples || readies[r].TestSamples != job.Plan.TestSamples)
            {
                throw new JobFailedException($"rank {r} reads {readies[r].TrainSamples} training and {readies[r].TestSamples} test samples; the coordinator expects {job.Plan.TrainSamples} and {job.Plan.TestSamples}");
            }
        }

        if (readies[0].TrainSamples != job.Plan.TrainSamples)
        {
            throw new JobFailedException($"rank 0 reads {readies[0].TrainSamples} training samples; the coordinator expects {job.Plan.TrainSamples}");
        }
    }
}
