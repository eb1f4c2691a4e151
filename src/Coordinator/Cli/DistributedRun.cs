using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;

namespace Distributed.Coordinator.Cli;

/// <summary>Drives a distributed training job from the coordinator's side and reports it as `train` does.</summary>
internal static class DistributedRun
{
    public static async Task<int> DriveAsync(TrainJob job, JobCoordinator coordinator, TrainingProgress progress, JobTelemetry telemetry, CancellationToken cancel)
    {
        var output = progress.Output;
        using var metrics = job.OutDir is null ? null : new MetricsFiles(job.OutDir, job.MetricsFormat, PlotTitle(job, coordinator.Plan.WorldSize));
        var report = new ConsoleTrainingReport(output, metrics, job.Options.Epochs, progress, telemetry);
        var driver = new TrainingDriver(coordinator, report, step => job.Schedule.At(job.OptimizerSettings.Lr, step));
        DistributedResult result;
        try
        {
            result = await driver.RunAsync(cancel).ConfigureAwait(false);
            coordinator.End(null);
        }
        catch (JobFailedException ex)
        {
            coordinator.End(ex.Message);
            throw;
        }
        catch (OperationCanceledException)
        {
            coordinator.End("the coordinator was stopped");
            throw;
        }

        report.Line(ConsoleReport.Final(result.Training));
        report.Line($"all {coordinator.Plan.WorldSize} ranks hold identical parameters (checksum {result.Checksum:x16})");
        if (result.Parameters is { } values)
        {
            report.Line($"parameters: {string.Join(", ", values.Select(v => v.ToString("G7", CultureInfo.InvariantCulture)))}");
        }

        if (job.JsonPath is not null)
        {
            RunSummary.From(job, result.Training, result.Parameters, coordinator.Plan.WorldSize).Write(job.JsonPath);
        }

        Conclude(report, telemetry, metrics);
        return CliApp.Ok;
    }

    /// <summary>The coordinator's observability for a job of <paramref name="workers"/> ranks (0: a run in this process), from the flags.</summary>
    public static JobTelemetry Telemetry(TrainJob job, int workers, TelemetryOptionsSet t, ParseResult r, TextWriter output) =>
        new(workers, r.GetValue(t.Timeline), t.StallThreshold(r, job.PeerTimeout), line =>
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
        return new(output, t.ProgressMode(r), job.Options.Epochs, (job.Data.Train.Count + job.Options.BatchSize - 1) / job.Options.BatchSize);
    }

    public static string PlotTitle(TrainJob job, int workers) =>
        $"{job.Model.Name}, {job.OptimizerSettings.Name} lr {job.OptimizerSettings.Lr.ToString("G4", CultureInfo.InvariantCulture)}, batch {job.Options.BatchSize}{(workers > 0 ? $", {workers} workers" : "")}";

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

        output.WriteLine($"optimizer: {job.OptimizerSettings.Name} {job.OptimizerSettings.Describe()}, schedule {job.ScheduleSettings.Describe()}, batch {job.Options.BatchSize}, {job.Options.Epochs} epochs, seed {job.Options.Seed}");
    }
}
