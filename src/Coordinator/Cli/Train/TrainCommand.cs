using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Checkpoints;
using Distributed.Core.FullBatch;
using Distributed.Core.Telemetry;
using Distributed.Core.Training;
using Distributed.Onnx;

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
        var exportOnnx = new Option<string?>("--export-onnx") { Description = $"write the trained network to this file as an ONNX model (opset {OnnxExport.Opset}): input [batch, ...] as the data reader gives it, output the logits or regression values" };
        var command = new Command("train", "Train a model (linreg, logreg, mlp, cnn, or a described network) on MNIST, CIFAR-10, CSV or synthetic data, in this process or across --workers N processes.");
        command.WithOptions(o.All.Append(d.Workers).Append(d.CpuBind).Append(d.Tls).Append(exportOnnx).Concat(t.ForCoordinator));

        command.SetAction((parsed, cancel) =>
        {
            var workers = parsed.GetValue(d.Workers);
            var settings = o.Read(parsed);
            var tls = parsed.GetValue(d.Tls);
            if (tls && workers == 0)
            {
                throw new UsageException("--tls needs --workers: a run in this process has no traffic to protect");
            }

            var onnx = OnnxFile.Checked(parsed.GetValue(exportOnnx));
            return workers == 0
                ? Task.FromResult(RunHere(settings, onnx, t, parsed, output, cancel))
                : RunLocalJobAsync(o, settings, onnx, Limits.LocalWorkers(workers), d.CpuBindMode(parsed), tls, t, parsed, output, cancel);
        });
        return command;
    }

    private static int RunHere(TrainSettings settings, string? onnx, TelemetryOptionsSet t, ParseResult r, TextWriter output, CancellationToken cancel)
    {
        RecoveryFlags.CheckSingleProcess(settings);
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

        if (onnx is not null)
        {
            OnnxFile.Export(job.Model, onnx, output);
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
    private static async Task<int> RunLocalJobAsync(TrainOptionsSet o, TrainSettings settings, string? onnx, int workers, string cpuBind, bool tls, TelemetryOptionsSet t, ParseResult r, TextWriter output, CancellationToken cancel)
    {
        // The trained parameters live in the workers: rank 0 saves them (to a scratch file unless --save names one),
        // and this process, which built the same network, reads them back to export it.
        var scratch = onnx is not null && settings.Save is null ? Path.Combine(Path.GetTempPath(), $"distributed-{Environment.ProcessId}-{Guid.NewGuid():N}.params") : null;
        settings = settings with { Save = settings.Save ?? scratch };
        try
        {
            var job = JobSetup.Build(settings, JobRole.Coordinator);
            var code = await RunLocalJobAsync(o, job, workers, cpuBind, tls, t, r, output, cancel).ConfigureAwait(false);
            if (code == CliApp.Ok && onnx is not null)
            {
                ParameterFile.Read(settings.Save!).CopyTo(job.Model.Parameters.Values.Span);
                OnnxFile.Export(job.Model, onnx, output);
            }

            return code;
        }
        finally
        {
            if (scratch is not null)
            {
                File.Delete(scratch);
            }
        }
    }

    private static Task<int> RunLocalJobAsync(TrainOptionsSet o, TrainJob job, int workers, string cpuBind, bool tls, TelemetryOptionsSet t, ParseResult r, TextWriter output, CancellationToken cancel)
    {
        var settings = job.Settings;
        // Like torchrun, split the cores among the workers unless told otherwise.
        var threads = settings.Threads > 0 ? settings.Threads : Math.Max(1, Environment.ProcessorCount / workers);
        // Workers get the network's canonical text, not a file name they might resolve differently.
        var workload = o.WorkerArguments(settings with { Threads = threads, Model = job.Model.Name }).Concat(r.GetValue(t.TraceConsole) ? [t.TraceConsole.Name] : []).ToArray();
        output.WriteLine($"distributed: {workers} worker processes, ZeRO stage {(int)job.Parallel.Zero}, {threads} threads each, buckets of {job.Parallel.BucketFloats * 4 / 1024.0 / 1024:0.##} MB, ring chunks of {job.ChunkFloats * 4 / 1024} KB{(tls ? ", mutual TLS" : "")}");
        var placement = CpuPlacement.Local(cpuBind, workers, threads);
        output.WriteLine($"distributed: {placement.Description}");
        var jobId = $"local-{Environment.ProcessId}";
        return DistributedRun.CoordinateAsync(job, workers, jobId, Worker.Security.JobSecret.Create(), tls ? Worker.Security.JobTls.Create(jobId) : null, "127.0.0.1", 0, new LocalWorkers(workers, workload, placement), t, r, output, cancel);
    }
}
