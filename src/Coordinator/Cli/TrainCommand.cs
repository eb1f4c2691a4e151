using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Checkpoints;
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
        var command = new Command("train", "Train a model (linreg, mlp, cnn) on MNIST, CIFAR-10, CSV or synthetic data, in this process or across --workers N processes.");
        foreach (var option in o.All.Concat(d.ForTrain).Concat(t.ForTrain))
        {
            command.Add(option);
        }

        command.SetAction((parsed, cancel) =>
        {
            var workers = parsed.GetValue(d.Workers);
            if (workers < 0)
            {
                throw new UsageException($"--workers must be 0 (this process) or more, got {workers}");
            }

            return workers == 0 ? Task.FromResult(RunHere(o, d, t, parsed, output)) : RunLocalJobAsync(o, d, parsed, workers, output, cancel, t: t);
        });
        return command;
    }

    private static int RunHere(TrainOptionsSet o, DistributedOptionsSet d, TelemetryOptionsSet t, ParseResult r, TextWriter output)
    {
        var job = JobSetup.Build(o, d, r);

        // An ILGPU backend holds an accelerator (on ilgpu-cpu, a team of host threads) until disposed.
        using var device = job.Model.Backend as IDisposable;
        using var export = TelemetryExport.Start("trainer", r.GetValue(t.TraceConsole));
        using var progress = DistributedRun.Progress(job, t, r, output);
        output = progress.Output;
        DistributedRun.Describe(job, output);

        using var telemetry = r.GetValue(t.Timeline) is null ? null : DistributedRun.Telemetry(job, 0, t, r, output);
        using var metrics = job.OutDir is null ? null : new MetricsFiles(job.OutDir, job.MetricsFormat, DistributedRun.PlotTitle(job, 0));
        var report = new ConsoleTrainingReport(output, metrics, job.Options.Epochs, progress, telemetry);
        var trainer = new Trainer(job.Model, job.CreateOptimizer(), job.Options, job.Data.Train.TargetLength);
        trainer.StepCompleted += report.Step;
        trainer.EpochCompleted += report.Epoch;

        var result = trainer.Fit(job.Data.Train, job.Data.Test);
        output.WriteLine(ConsoleReport.Final(result));
        var values = job.Model.Parameters.Values;
        job.Model.Backend.Download(values);
        var small = values.Length <= 16 ? values.Span.ToArray() : null;
        if (small is not null)
        {
            output.WriteLine($"parameters: {string.Join(", ", small.Select(v => v.ToString("G7", CultureInfo.InvariantCulture)))}");
        }

        if (job.SavePath is not null)
        {
            using var span = Spans.StartChild(Spans.Checkpoint, null);
            span?.SetTag(SpanTags.File, job.SavePath);
            ParameterFile.Write(job.SavePath, values.Span);
        }

        if (job.JsonPath is not null)
        {
            RunSummary.From(job, result, small, workers: 0).Write(job.JsonPath);
        }

        DistributedRun.Conclude(report, telemetry, metrics);
        return CliApp.Ok;
    }

    /// <summary>
    /// Runs a local job: this process coordinates, N worker processes train. <paramref name="drive"/> replaces the
    /// usual driving and reporting (DistributedRun.DriveAsync), which is how `bench train --workers N` times steps.
    /// </summary>
    internal static async Task<int> RunLocalJobAsync(
        TrainOptionsSet o, DistributedOptionsSet d, ParseResult r, int workers, TextWriter output, CancellationToken cancel,
        Func<TrainJob, JobCoordinator, TextWriter, CancellationToken, Task<int>>? drive = null, TelemetryOptionsSet? t = null)
    {
        // Like torchrun, split the cores among the workers unless told otherwise; the coordinator's model only describes the job.
        var threads = r.GetValue(o.Threads) is > 0 and var n ? n : Math.Max(1, Environment.ProcessorCount / workers);
        var job = JobSetup.Build(o, d, r, threadsOverride: 1, deviceOverride: "cpu");
        using var export = TelemetryExport.Start("coordinator", t is not null && r.GetValue(t.TraceConsole));
        using var progress = t is null ? new TrainingProgress(output, "none", job.Options.Epochs, 1) : DistributedRun.Progress(job, t, r, output);
        output = progress.Output;
        DistributedRun.Describe(job, output);
        output.WriteLine($"distributed: {workers} worker processes, ZeRO stage {(int)job.Parallel.Zero}, {threads} threads each, buckets of {job.Parallel.BucketFloats * 4 / 1024.0 / 1024:0.##} MB, ring chunks of {job.ChunkFloats * 4 / 1024} KB");

        var jobId = $"local-{Environment.ProcessId}";
        using var telemetry = t is null ? new JobTelemetry(workers, null, job.PeerTimeout / 2, _ => { }) : DistributedRun.Telemetry(job, workers, t, r, output);
        var coordinator = new JobCoordinator(JobSetup.Plan(job, workers, jobId) with { SendSpans = telemetry.SendSpans, WaitReport = telemetry.WaitReport }) { Observer = telemetry };
        await using var host = await CoordinatorHost.StartAsync(coordinator, "127.0.0.1", 0, cancel);
        await using var launcher = new LocalLauncher(coordinator, output);
        var inherited = ForwardedArguments.Of(r, o.All.Where(x => x != o.Out && x != o.MetricsFormat && x != o.Json && x != o.Threads).Concat(d.Inherited).Concat(t?.Inherited ?? [])).ToArray();
        for (var rank = 0; rank < workers; rank++)
        {
            launcher.Start(rank, [
                "worker", .. inherited,
                "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--coordinator", $"127.0.0.1:{host.Port}",
                "--rank", rank.ToString(CultureInfo.InvariantCulture),
                "--host", "127.0.0.1",
                "--port", "0",
                "--job-id", jobId,
                "--join-timeout", "60",
            ]);
        }

        var code = await (drive ?? ((job, coordinator, _, token) => DistributedRun.DriveAsync(job, coordinator, progress, telemetry, token)))(job, coordinator, output, cancel);
        await launcher.WaitForExitAsync(TimeSpan.FromSeconds(10));
        return code;
    }
}
