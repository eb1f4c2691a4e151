using System.CommandLine;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Layers;
using Distributed.Core.Models;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>Turns parsed flags into a <see cref="TrainJob"/>; everything that can be wrong with the input is found here, before the first step.</summary>
internal static class JobSetup
{
    public static TrainJob Build(TrainOptionsSet o, DistributedOptionsSet d, ParseResult r, int? threadsOverride = null, string? deviceOverride = null)
    {
        try
        {
            var modelName = r.GetValue(o.Model)!;
            if (!ModelZoo.Names.Contains(modelName))
            {
                throw new UsageException($"unknown model '{modelName}' (expected one of: {string.Join(", ", ModelZoo.Names)})");
            }

            var options = new TrainOptions(r.GetValue(o.Epochs), r.GetValue(o.BatchSize), r.GetValue(o.Seed), EvalBatchSize: 256);
            options.Validate();
            var optimizerSettings = o.ToOptimizerSettings(r);
            var scheduleSettings = o.ToScheduleSettings(r);
            var format = r.GetValue(o.MetricsFormat)!;
            if (format is not ("csv" or "jsonl"))
            {
                throw new UsageException($"unknown metrics format '{format}' (expected csv or jsonl)");
            }

            var init = r.GetValue(o.Init) switch
            {
                "he" => Initializer.He,
                "xavier" => Initializer.Xavier,
                var other => throw new UsageException($"unknown initialisation '{other}' (expected he or xavier)"),
            };
            var threads = threadsOverride ?? r.GetValue(o.Threads);
            ArgumentOutOfRangeException.ThrowIfNegative(threads, "threads");
            var parallel = Parallel(d, r);
            var chunkKb = r.GetValue(d.ChunkKb);
            if (chunkKb is < 1 or > 4096)
            {
                throw new UsageException($"chunk size must be between 1 and 4096 KB, got {chunkKb}");
            }

            var peerTimeout = Seconds(r.GetValue(d.PeerTimeout), "peer timeout");
            var joinTimeout = Seconds(r.GetValue(d.JoinTimeout), "join timeout");

            var requested = r.GetValue(o.Device)!;
            if (!ComputeDevices.Names.Contains(requested))
            {
                throw new UsageException($"unknown device '{requested}' (expected one of: {string.Join(", ", ComputeDevices.Names)})");
            }

            // Fail on optimizer and schedule flags before spending time reading data.
            optimizerSettings.Create(new CpuBackend(1), new Core.Tensors.Tensor(1), new Core.Tensors.Tensor(1), scheduleSettings.Create(1));

            var classifier = modelName != "linreg";
            var syntheticShape = modelName switch { "cnn" => new[] { 3, 32, 32 }, "mlp" => [784], _ => [1] };
            var dataSpec = r.GetValue(o.Data);
            var testSpec = r.GetValue(o.TestData);
            var syntheticSamples = r.GetValue(o.SyntheticSamples);
            var data = DataSources.Load(dataSpec, testSpec, classifier, syntheticShape, syntheticSamples, options.Seed);
            if (!classifier && data.Train.Classes != 0)
            {
                throw new UsageException($"linreg needs regression targets, but {data.Description} has class labels");
            }

            var backend = ComputeDevices.Create(deviceOverride ?? requested, threads, out var deviceReport);
            if (deviceOverride is not null)
            {
                // A coordinator's model only describes the job; what computes is each worker, on the device asked for.
                deviceReport = $"device: {requested} in each worker";
            }

            var outputs = classifier ? data.Train.Classes : data.Train.TargetLength;
            var dropout = r.GetValue(o.Dropout);
            var model = ModelZoo.Create(modelName, data.Train.SampleShape, outputs, backend, new ModelOptions(options.Seed, init, dropout));
            var totalSteps = (long)options.Epochs * ((data.Train.Count + options.BatchSize - 1) / options.BatchSize);
            var schedule = scheduleSettings.Create(totalSteps);

            // Everything that changes the mathematics, and nothing local (threads, output files, ports).
            var config = JobConfig.Format(
            [
                ("model", modelName), ("data", dataSpec ?? "default"), ("test-data", testSpec), ("synthetic-samples", syntheticSamples),
                ("init", init), ("dropout", dropout), ("epochs", options.Epochs), ("batch-size", options.BatchSize), ("seed", options.Seed),
                ("optimizer", optimizerSettings), ("schedule", scheduleSettings), ("zero", (int)parallel.Zero), ("bucket-floats", parallel.BucketFloats),
            ]);
            return new TrainJob(model, optimizerSettings, scheduleSettings, schedule, options, data, r.GetValue(o.Out), format, r.GetValue(o.Json),
                parallel, chunkKb * 1024 / sizeof(float), peerTimeout, joinTimeout, r.GetValue(d.Save), config, deviceReport);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(CliApp.OneLine(ex));
        }
    }

    public static JobPlan Plan(TrainJob job, int worldSize, string jobId) => new()
    {
        WorldSize = worldSize,
        JobId = jobId,
        Config = job.Config,
        TrainSamples = job.Data.Train.Count,
        TestSamples = job.Data.Test?.Count ?? 0,
        BatchSize = job.Options.BatchSize,
        Epochs = job.Options.Epochs,
        Seed = job.Options.Seed,
        Classifier = job.Model.IsClassifier,
        JoinTimeout = job.JoinTimeout,
        PeerTimeout = job.PeerTimeout,
    };

    private static DataParallelOptions Parallel(DistributedOptionsSet d, ParseResult r)
    {
        var zero = r.GetValue(d.Zero);
        if (zero is < 0 or > 2)
        {
            throw new UsageException($"--zero must be 0, 1 or 2, got {zero}");
        }

        var bucketMb = r.GetValue(d.BucketMb);
        if (!(bucketMb > 0) || bucketMb > 1024)
        {
            throw new UsageException($"bucket size must be above 0 and at most 1024 MB, got {bucketMb}");
        }

        return new DataParallelOptions((ZeroStage)zero, (int)Math.Max(1, bucketMb * 1024 * 1024 / sizeof(float)));
    }

    private static TimeSpan Seconds(double value, string what) =>
        value > 0 && value <= 86_400 ? TimeSpan.FromSeconds(value) : throw new UsageException($"{what} must be between 0 and 86400 seconds, got {value}");
}
