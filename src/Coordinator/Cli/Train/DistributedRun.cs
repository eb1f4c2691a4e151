using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Telemetry;
using Distributed.Worker.Security;

namespace Distributed.Coordinator.Cli;

/// <summary>A training job seen from its coordinator, reported as `train` reports a run in this process; `train --workers` and `coordinator` both run it.</summary>
internal static class DistributedRun
{
    /// <summary>
    /// Coordinates <paramref name="job"/> across <paramref name="workers"/> ranks: the local ones it starts
    /// (<paramref name="local"/>), or remote ones that join on <paramref name="host"/>:<paramref name="port"/>.
    /// </summary>
    public static async Task<int> CoordinateAsync(
        TrainJob job, int workers, string jobId, JobSecret secret, JobTls? tls, string host, int port, LocalWorkers? local,
        TelemetryOptionsSet t, ParseResult r, TextWriter output, CancellationToken cancel, Action<int, TextWriter>? listening = null)
    {
        var rejoin = RecoveryFlags.Rejoin(job.Settings, workers);
        using var export = TelemetryExport.Start("coordinator", r.GetValue(t.TraceConsole));
        using var progress = Progress(job, t, r, output);
        var console = progress.Output;
        Describe(job, console);
        var liveness = new Liveness(workers);
        using var telemetry = Telemetry(job, workers, liveness, t, r, console);
        using var metrics = job.Settings.Out is { } dir ? new MetricsFiles(dir, job.Settings.MetricsFormat, PlotTitle(job, workers), job.FullBatch is not null) : null;
        var report = new ConsoleTrainingReport(console, metrics, job.Options.Epochs, progress, telemetry);
        var resume = job.Resume;
        System.Diagnostics.Activity? restarting = null;

        // The ranks each start waits for: the job's, and after a restart that went on with fewer, those.
        var world = workers;
        for (var restart = 0; ; restart++)
        {
            var plan = JobSetup.Plan(job, world, jobId) with
            {
                Secret = secret, Tls = tls, SendSpans = telemetry.SendSpans, WaitReport = telemetry.WaitReport, Resume = resume, Rejoin = restart == 0 ? null : rejoin,
            };
            var coordinator = new JobCoordinator(plan, liveness) { Observer = telemetry };
            void Started()
            {
                // The rendezvous has settled the world: the restart ends here, at that size.
                restarting?.SetTag(SpanTags.WorldSize, coordinator.Plan.WorldSize);
                Spans.StopDetached(restarting);
                telemetry.Restarted(coordinator.Plan.WorldSize);
            }

            try
            {
                return await JobRunner.RunAsync(coordinator, host, port, local is null ? null : local with { Count = world }, console, (c, token) => DriveAsync(job, c, report, metrics, telemetry, Started, token), cancel,
                    listening is null ? null : bound => listening(bound, console));
            }
            catch (JobFailedException ex) when (ex.RankLost && restart < job.Settings.MaxRestarts)
            {
                world = coordinator.Plan.WorldSize;

                // As torchrun does, every rank restarts (a lost rank's neighbours hold a broken ring) and all of them load
                // the newest intact checkpoint; with none yet, the run starts over.
                resume = job.Checkpoints is { } policy ? Newest(policy.Root, console) : null;

                // A span in the timeline and the traces from the loss to the ranks' start from the checkpoint.
                restarting = Spans.StartDetached(Spans.Restart);
                restarting?.SetTag(SpanTags.File, resume?.Directory);
                restarting?.SetTag(SpanTags.Reason, ex.Message);
                report.Line($"[launcher] {ex.Message}");
                report.Line($"[launcher] restart {restart + 1} of {job.Settings.MaxRestarts}: every rank starts again from {resume?.Directory ?? "the beginning (no checkpoint yet)"}");
            }
        }
    }

    /// <summary>The newest intact checkpoint under <paramref name="root"/>, or null when there is none yet.</summary>
    private static Core.Checkpoints.ResumePoint? Newest(string root, TextWriter log)
    {
        try
        {
            return Core.Checkpoints.CheckpointDirectory.Resolve(root, log);
        }
        catch (Core.Data.DataFormatException)
        {
            return null;
        }
    }

    /// <param name="started">Called once every rank is ready and told to start.</param>
    private static async Task<int> DriveAsync(TrainJob job, JobCoordinator coordinator, ConsoleTrainingReport report, MetricsFiles? metrics, JobTelemetry telemetry, Action started, CancellationToken cancel)
    {
        var driver = new TrainingDriver(coordinator, report, step => job.Schedule.At(job.OptimizerSettings.Lr, step)) { Started = started };
        var result = await driver.RunAsync(cancel).ConfigureAwait(false);
        report.Line(ConsoleReport.Final(result.Training));
        report.Line($"all {coordinator.Plan.WorldSize} ranks hold identical parameters (checksum {result.Checksum:x16})");
        if (result.Parameters is { } values)
        {
            report.Line($"parameters: {string.Join(", ", values.Select(v => v.ToString("G7", CultureInfo.InvariantCulture)))}");
        }

        if (job.Settings.Json is { } json)
        {
            RunSummary.From(job, result.Training, result.Parameters, coordinator.Plan.WorldSize, report.Iterations).Write(json);
        }

        Conclude(report, telemetry, metrics);
        return CliApp.Ok;
    }


    /// <summary>The observability of a run of <paramref name="workers"/> ranks (0: a run in this process), from the flags.</summary>
    public static JobTelemetry Telemetry(TrainJob job, int workers, Liveness? liveness, TelemetryOptionsSet t, ParseResult r, TextWriter output) =>
        new(workers, liveness, r.GetValue(t.Timeline), t.StallThreshold(r, job.PeerTimeout), line =>
        {
            lock (output)
            {
                output.WriteLine(line);
            }
        });

    /// <summary>The live progress of a run; also where the observability flags are checked, since every kind of run starts here.</summary>
    public static TrainingProgress Progress(TrainJob job, TelemetryOptionsSet t, ParseResult r, TextWriter output)
    {
        t.StallThreshold(r, job.PeerTimeout);
        return new(output, t.ProgressMode(r), job.Options.Epochs, Core.Training.BatchPlan.BatchesFor(job.Data.Train.Count, job.Options.BatchSize));
    }

    public static string PlotTitle(TrainJob job, int workers) => job.FullBatch is not null
        ? $"{job.Model.Name}, {job.OptimizerSettings.Name}, full batch{(workers > 0 ? $", {workers} workers" : "")}"
        : $"{job.Model.Name}, {job.OptimizerSettings.Name} lr {job.OptimizerSettings.Lr.ToString("G4", CultureInfo.InvariantCulture)}, batch {job.Options.BatchSize}{(workers > 0 ? $", {workers} workers" : "")}";

    /// <summary>The closing lines every run shares: where the time went (with a timeline), and where the picture is.</summary>
    public static void Conclude(ConsoleTrainingReport report, JobTelemetry? telemetry, MetricsFiles? metrics)
    {
        telemetry?.Flush();
        if (telemetry?.Breakdown() is { } breakdown)
        {
            foreach (var line in breakdown.Split('\n'))
            {
                report.Line(line);
            }
        }

        if (metrics is not null)
        {
            report.Line($"plot: {metrics.PlotPath} (loss and accuracy against step)");
        }
    }

    public static void Describe(TrainJob job, TextWriter output)
    {
        output.WriteLine(job.DeviceReport);
        output.WriteLine($"data: {job.Data.Description}");
        output.WriteLine($"model {job.Model.Name}: {job.Model.Parameters.Count:N0} parameters");
        foreach (var line in job.Model.Network.Describe().Split(Environment.NewLine))
        {
            output.WriteLine($"  {line}");
        }

        output.WriteLine($"optimizer: {job.OptimizerSettings.Name} {job.OptimizerSettings.Describe()}, schedule {job.ScheduleSettings.Describe()}, batch {job.Options.BatchSize}{(job.Options.MicroBatches > 1 ? $" ({job.Options.MicroBatches} accumulated batches of {job.Settings.BatchSize})" : "")}, {job.Options.Epochs} epochs, seed {job.Options.Seed}");
    }
}
