using System.Globalization;
using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Cli;

/// <summary>Drives a distributed training job from the coordinator's side and reports it as `train` does.</summary>
internal static class DistributedRun
{
    public static async Task<int> DriveAsync(TrainJob job, JobCoordinator coordinator, TextWriter output, CancellationToken cancel)
    {
        using var metrics = job.OutDir is null ? null : new MetricsFiles(job.OutDir, job.MetricsFormat);
        var report = new ConsoleTrainingReport(output, metrics, job.Options.Epochs);
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

        return CliApp.Ok;
    }

    public static void Describe(TrainJob job, TextWriter output)
    {
        output.WriteLine($"backend: {job.Model.Backend.Name}");
        output.WriteLine($"data: {job.Data.Description}");
        output.WriteLine($"model {job.Model.Name}: {job.Model.Parameters.Count:N0} parameters");
        foreach (var line in job.Model.Network.Describe().Split(Environment.NewLine))
        {
            output.WriteLine($"  {line}");
        }

        output.WriteLine($"optimizer: {job.OptimizerSettings.Name} {job.OptimizerSettings.Describe()}, schedule {job.ScheduleSettings.Describe()}, batch {job.Options.BatchSize}, {job.Options.Epochs} epochs, seed {job.Options.Seed}");
    }
}
