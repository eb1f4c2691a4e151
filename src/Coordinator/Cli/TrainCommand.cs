using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Checkpoints;
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
        var command = new Command("train", "Train a model (linreg, mlp, cnn) on MNIST, CIFAR-10, CSV or synthetic data, in this process or across --workers N processes.");
        foreach (var option in o.All.Concat(d.ForTrain))
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

            return workers == 0 ? Task.FromResult(RunHere(o, d, parsed, output)) : RunLocalJobAsync(o, d, parsed, workers, output, cancel);
        });
        return command;
    }

    private static int RunHere(TrainOptionsSet o, DistributedOptionsSet d, ParseResult r, TextWriter output)
    {
        var job = JobSetup.Build(o, d, r);
        DistributedRun.Describe(job, output);

        using var metrics = job.OutDir is null ? null : new MetricsFiles(job.OutDir, job.MetricsFormat);
        var trainer = new Trainer(job.Model, job.CreateOptimizer(), job.Options, job.Data.Train.TargetLength);
        trainer.StepCompleted += s => metrics?.Step(s);
        trainer.EpochCompleted += e =>
        {
            metrics?.Epoch(e);
            output.WriteLine(ConsoleReport.Epoch(e, job.Options.Epochs));
        };

        var result = trainer.Fit(job.Data.Train, job.Data.Test);
        output.WriteLine(ConsoleReport.Final(result));
        var values = job.Model.Parameters.Values;
        var small = values.Length <= 16 ? values.Span.ToArray() : null;
        if (small is not null)
        {
            output.WriteLine($"parameters: {string.Join(", ", small.Select(v => v.ToString("G7", CultureInfo.InvariantCulture)))}");
        }

        if (job.SavePath is not null)
        {
            ParameterFile.Write(job.SavePath, values.Span);
        }

        if (job.JsonPath is not null)
        {
            RunSummary.From(job, result, small, workers: 0).Write(job.JsonPath);
        }

        return CliApp.Ok;
    }

    /// <summary>
    /// Runs a local job: this process coordinates, N worker processes train. <paramref name="drive"/> replaces the
    /// usual driving and reporting (DistributedRun.DriveAsync), which is how `bench train --workers N` times steps.
    /// </summary>
    internal static async Task<int> RunLocalJobAsync(
        TrainOptionsSet o, DistributedOptionsSet d, ParseResult r, int workers, TextWriter output, CancellationToken cancel,
        Func<TrainJob, JobCoordinator, TextWriter, CancellationToken, Task<int>>? drive = null)
    {
        // Like torchrun, split the cores among the workers unless told otherwise; the coordinator's model only describes the job.
        var threads = r.GetValue(o.Threads) is > 0 and var t ? t : Math.Max(1, Environment.ProcessorCount / workers);
        var job = JobSetup.Build(o, d, r, threadsOverride: 1);
        DistributedRun.Describe(job, output);
        output.WriteLine($"distributed: {workers} worker processes, ZeRO stage {(int)job.Parallel.Zero}, {threads} threads each, buckets of {job.Parallel.BucketFloats * 4 / 1024.0 / 1024:0.##} MB, ring chunks of {job.ChunkFloats * 4 / 1024} KB");

        var jobId = $"local-{Environment.ProcessId}";
        var coordinator = new JobCoordinator(JobSetup.Plan(job, workers, jobId));
        await using var host = await CoordinatorHost.StartAsync(coordinator, "127.0.0.1", 0, cancel);
        await using var launcher = new LocalLauncher(coordinator, output);
        var inherited = ForwardedArguments.Of(r, o.All.Where(x => x != o.Out && x != o.MetricsFormat && x != o.Json && x != o.Threads).Concat(d.Inherited)).ToArray();
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

        var code = await (drive ?? DistributedRun.DriveAsync)(job, coordinator, output, cancel);
        await launcher.WaitForExitAsync(TimeSpan.FromSeconds(10));
        return code;
    }
}
