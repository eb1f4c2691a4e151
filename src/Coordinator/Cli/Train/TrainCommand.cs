using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Checkpoints;
using Distributed.Core.FullBatch;
using Distributed.Core.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `train`: trains a model in this process, or with `--workers N` as a local data-parallel job: a coordinator in
/// this process and N worker processes on 127.0.0.1, all stopped when the job ends, fails or is interrupted.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var d = new DistributedOptionsSet();
        var t = new TelemetryOptionsSet();
        var command = new Command("train", "Train a model (linreg, logreg, mlp, cnn) on MNIST, CIFAR-10, CSV or synthetic data, in this process or across --workers N processes.");
        command.WithOptions(o.All.Append(d.Workers).Append(d.Tls).Concat(t.ForCoordinator));

        command.SetAction((parsed, cancel) =>
        {
            var workers = parsed.GetValue(d.Workers);
            var settings = o.Read(parsed);
            var tls = parsed.GetValue(d.Tls);
            if (tls && workers == 0)
            {
                throw new UsageException("--tls needs --workers: a run in this process has no traffic to protect");
            }

            return workers == 0
                ? Task.FromResult(RunHere(settings, t, parsed, output, cancel))
                : RunLocalJobAsync(o, settings, Limits.LocalWorkers(workers), tls, t, parsed, output, cancel);
        });
        return command;
    }

    private static int RunHere(TrainSettings settings, TelemetryOptionsSet t, ParseResult r, TextWriter output, CancellationToken cancel)
    {
        if (settings.MaxRestarts != 0)
        {
            throw new UsageException("--max-restarts restarts the worker processes of a distributed job; add --workers N");
        }

        var job = JobSetup.Build(settings, log: output);

        // An ILGPU backend holds an accelerator (on ilgpu-cpu, a team of host threads) until disposed.
        using var device = job.Model.Backend as IDisposable;
        using var export = TelemetryExport.Start("trainer", r.GetValue(t.TraceConsole));
        using var progress = DistributedRun.Progress(job, t, r, output);
        output = progress.Output;
        DistributedRun.Describe(job, output);

        using var telemetry = r.GetValue(t.Timeline) is null ? null : DistributedRun.Telemetry(job, 0, null, t, r, output);
        using var metrics = settings.Out is { } dir ? new MetricsFiles(dir, settings.MetricsFormat, DistributedRun.PlotTitle(job, 0), job.FullBatch is not null) : null;
        var report = new ConsoleTrainingReport(output, metrics, job.Options.Epochs, progress, telemetry);
        var (result, steps) = Fit(job, report, cancel);
        output.WriteLine(ConsoleReport.Final(result));
        var values = job.Model.Parameters.Values;
        job.Model.Backend.Download(values);
        NonFiniteGuard.CheckFinalParameters(values.Span, steps);
        var small = values.Length <= 16 ? values.Span.ToArray() : null;
        if (small is not null)
        {
            output.WriteLine($"parameters: {string.Join(", ", small.Select(v => v.ToString("G7", CultureInfo.InvariantCulture)))}");
        }

        if (settings.Save is { } save)
        {
            using var span = Spans.StartChild(Spans.Checkpoint, null);
            span?.SetTag(SpanTags.File, save);
            ParameterFile.Write(save, values.Span);
        }

        if (settings.Json is { } json)
        {
            RunSummary.From(job, result, small, workers: 0, report.Iterations).Write(json);
        }

        DistributedRun.Conclude(report, telemetry, metrics);
        return CliApp.Ok;
    }

    /// <summary>Trains, and returns the result and the steps taken (skipped ones included).</summary>
    private static (TrainingResult Result, long Steps) Fit(TrainJob job, ConsoleTrainingReport report, CancellationToken cancel)
    {
        if (job.FullBatch is { } method)
        {
            var fullBatch = new FullBatchTrainer(job.Model, method, job.Options.Epochs, job.Options.EvalBatchSize);
            fullBatch.StepCompleted += report.Step;
            fullBatch.EpochCompleted += report.Epoch;
            return (fullBatch.Fit(job.Data.Train, job.Data.Test, cancel), job.Options.Epochs);
        }

        var trainer = new Trainer(job.Model, job.CreateOptimizer(), job.Options, job.Data.Train.TargetLength) { Checkpoints = job.Checkpoints };
        trainer.StepCompleted += report.Step;
        trainer.EpochCompleted += report.Epoch;
        trainer.CheckpointWritten += (directory, seconds) => report.Line($"checkpoint {directory} written in {seconds * 1000:0.#} ms");
        if (job.Resume is { } from)
        {
            trainer.Resume(from);
            var m = from.Manifest;
            report.Line($"resumed from {from.Directory}: step {m.Step}, epoch {m.Epoch} after {m.BatchesDone} batches (written by {m.WorldSize} ranks, ZeRO stage {m.ZeroStage})");
        }

        var skippedBefore = trainer.SkippedSteps;
        trainer.StepCompleted += _ =>
        {
            if (trainer.SkippedSteps != skippedBefore)
            {
                skippedBefore = trainer.SkippedSteps;
                report.Line($"step {trainer.Steps}: the gradient was not finite; the update was skipped ({skippedBefore} skipped so far)");
            }
        };
        var result = trainer.Fit(job.Data.Train, job.Data.Test, cancel);
        return (result, trainer.Steps);
    }

    /// <summary>This process coordinates, N worker processes train; each gets the job's flags and its share of the cores.</summary>
    private static Task<int> RunLocalJobAsync(TrainOptionsSet o, TrainSettings settings, int workers, bool tls, TelemetryOptionsSet t, ParseResult r, TextWriter output, CancellationToken cancel)
    {
        // Like torchrun, split the cores among the workers unless told otherwise.
        var threads = settings.Threads > 0 ? settings.Threads : Math.Max(1, Environment.ProcessorCount / workers);
        var job = JobSetup.Build(settings, JobRole.Coordinator);
        var workload = o.WorkerArguments(settings with { Threads = threads }).Concat(r.GetValue(t.TraceConsole) ? [t.TraceConsole.Name] : []).ToArray();
        output.WriteLine($"distributed: {workers} worker processes, ZeRO stage {(int)job.Parallel.Zero}, {threads} threads each, buckets of {job.Parallel.BucketFloats * 4 / 1024.0 / 1024:0.##} MB, ring chunks of {job.ChunkFloats * 4 / 1024} KB{(tls ? ", mutual TLS" : "")}");
        var jobId = $"local-{Environment.ProcessId}";
        return DistributedRun.CoordinateAsync(job, workers, jobId, Worker.Security.JobSecret.Create(), tls ? Worker.Security.JobTls.Create(jobId) : null, "127.0.0.1", 0, new LocalWorkers(workers, workload), t, r, output, cancel);
    }
}
