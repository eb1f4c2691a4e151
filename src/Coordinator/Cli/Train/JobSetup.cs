using Distributed.Coordinator.Jobs;
using Distributed.Core.Checkpoints;
using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Layers;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>Which process a <see cref="TrainJob"/> is built for.</summary>
internal enum JobRole
{
    /// <summary>This process computes: single-process `train`, or a worker.</summary>
    Compute,

    /// <summary>A coordinator: its model only describes the job (one CPU thread); the workers compute, on the device asked for.</summary>
    Coordinator,
}

/// <summary>Turns <see cref="TrainSettings"/> into a <see cref="TrainJob"/>; everything that can be wrong with them is found here, before the first step.</summary>
internal static class JobSetup
{
    /// <param name="log">Hears the checkpoints --resume passed over as damaged (standard error when null).</param>
    public static TrainJob Build(TrainSettings s, JobRole role = JobRole.Compute, TextWriter? log = null)
    {
        try
        {
            CheckOutputs(s);
            var choice = ModelChoice.Parse(s.Model);
            var loss = choice.ResolveLoss(s.Loss);
            if (choice.Description is not null && s.Dropout != 0)
            {
                throw new UsageException("--dropout adds dropout to the built-in mlp and cnn; a described network places its own dropout(p) layers");
            }

            if (s.Accumulate < 1 || (long)s.Accumulate * s.BatchSize > int.MaxValue)
            {
                throw new UsageException($"--accumulate must be at least 1, and --accumulate × --batch-size at most {int.MaxValue}, got {s.Accumulate}");
            }

            // An optimizer step takes the accumulated batch; each of its parts goes through forward and backward alone.
            var onNonFinite = NonFiniteGuard.ParsePolicy(s.OnNonFinite);
            var options = new TrainOptions(s.Epochs, s.BatchSize * s.Accumulate, s.Seed, EvalBatchSize: 256, MicroBatches: s.Accumulate, onNonFinite, s.MaxSkips);
            options.Validate();
            if (s.MetricsFormat is not ("csv" or "jsonl"))
            {
                throw new UsageException($"unknown metrics format '{s.MetricsFormat}' (expected csv or jsonl)");
            }

            var init = s.Init switch
            {
                "he" => Initializer.He,
                "xavier" => Initializer.Xavier,
                var other => throw new UsageException($"unknown initialisation '{other}' (expected he or xavier)"),
            };
            var threads = Limits.Threads(s.Threads);
            var parallel = Parallel(s) with { OnNonFinite = onNonFinite, MaxSkips = s.MaxSkips };
            var chunkFloats = Limits.ChunkFloats(s.ChunkKb);
            Limits.Transport(s.Transport);
            var peerTimeout = Limits.Seconds(s.PeerTimeoutSeconds, "--peer-timeout");
            var joinTimeout = Limits.Seconds(s.JoinTimeoutSeconds, "--join-timeout");
            var device = Limits.Device(s.Device);
            if (s.SyntheticSamples < 1)
            {
                throw new UsageException($"--synthetic-samples must be at least 1, got {s.SyntheticSamples}");
            }

            // Fail on optimizer and schedule flags before spending time reading data.
            var fullBatch = s.Optimizer.IsFullBatch ? FullBatchFlags.Check(s) : null;
            if (fullBatch is not null && (s.CheckpointDir is not null || s.Resume is not null))
            {
                throw new UsageException($"--checkpoint-dir and --resume are for the first-order optimizers; {s.Optimizer.Name} runs a few full-batch iterations and keeps no resumable state");
            }

            if (fullBatch is null)
            {
                s.Optimizer.Create(new CpuBackend(1), new Core.Tensors.Tensor(1), new Core.Tensors.Tensor(1), s.Schedule.Create(1));
            }

            var classifier = loss == LossKind.CrossEntropy;
            var data = DataSources.Load(s.Data, s.TestData, classifier, choice.SyntheticInputShape, s.SyntheticSamples, options.Seed);
            if (!classifier && data.Train.Classes != 0)
            {
                throw new UsageException($"{choice.BuiltIn ?? "--loss mse"} needs regression targets, but {data.Description} has class labels");
            }

            string deviceReport;
            IComputeBackend backend;
            if (role == JobRole.Coordinator)
            {
                backend = new CpuBackend(1);
                deviceReport = $"device: {device} in each worker";
            }
            else
            {
                backend = ComputeDevices.Create(device, threads, out deviceReport);
            }

            if (fullBatch is not null)
            {
                // Every step sees the whole training set: one step per epoch.
                options = options with { BatchSize = data.Train.Count };
            }

            var outputs = classifier ? data.Train.Classes : data.Train.TargetLength;
            var model = choice.Create(data.Train.SampleShape, outputs, loss, backend, new ModelOptions(options.Seed, init, s.Dropout));
            fullBatch?.Check(model);
            var schedule = s.Schedule.Create((long)options.Epochs * BatchPlan.BatchesFor(data.Train.Count, options.BatchSize));

            // Everything that changes the mathematics or the wire, and nothing local (threads, output files, ports).
            var config = JobConfig.Format(
            [
                ("model", choice.Canonical), ("loss", loss.Name()), ("data", s.Data ?? "default"), ("test-data", s.TestData), ("synthetic-samples", s.SyntheticSamples),
                ("init", init), ("dropout", s.Dropout), ("epochs", options.Epochs), ("batch-size", s.BatchSize), ("accumulate", s.Accumulate), ("seed", options.Seed),
                ("optimizer", s.Optimizer), ("schedule", s.Schedule), ("zero", (int)parallel.Zero), ("bucket-floats", parallel.BucketFloats),
                ("chunk-kb", s.ChunkKb), ("device", device), ("on-nonfinite", s.OnNonFinite), ("max-skips", s.MaxSkips),
            ]);
            var checkpoints = s.CheckpointDir is { } root ? new CheckpointPolicy(Path.GetFullPath(root), s.CheckpointEvery, s.KeepCheckpoints, config) : null;
            ResumePoint? resume = null;
            if (s.Resume is { } from)
            {
                resume = CheckpointDirectory.Resolve(from, log ?? Console.Error);
                CheckpointResume.CheckCompatible(resume.Directory, resume.Manifest, config);
            }

            return new TrainJob(s, model, schedule, options, data, parallel, chunkFloats, peerTimeout, joinTimeout, config, deviceReport) { FullBatch = fullBatch, Checkpoints = checkpoints, Resume = resume };
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(CliApp.OneLine(ex));
        }
    }

    public static JobPlan Plan(TrainJob job, int worldSize, string jobId) => new()
    {
        FullBatchChunk = job.FullBatch is null ? 0 : Core.FullBatch.ModelObjective.DefaultChunk,
        Checkpoints = job.Checkpoints,
        Resume = job.Resume,
        ZeroStage = (int)job.Parallel.Zero,
        OptimizerName = job.FullBatch is null ? job.CreateOptimizer().Name : job.OptimizerSettings.Name,
        OptimizerState = job.FullBatch is null ? [.. job.CreateOptimizer().State.Select(t => t.Name)] : [],
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

    /// <summary>
    /// Every file and directory the run will write is checked now, so a path that cannot be written is reported
    /// before the training, not after it, when the result would be lost.
    /// </summary>
    private static void CheckOutputs(TrainSettings s)
    {
        if (s.Save is { } save)
        {
            AtomicFile.CheckWritable(save, "--save");
        }

        if (s.Json is { } json)
        {
            AtomicFile.CheckWritable(json, "--json");
        }

        if (s.CheckpointDir is { } checkpoints)
        {
            if (s.CheckpointEvery < 0 || s.KeepCheckpoints < 1)
            {
                throw new UsageException($"--checkpoint-every must be at least 0 and --keep-checkpoints at least 1, got {s.CheckpointEvery} and {s.KeepCheckpoints}");
            }

            AtomicFile.CheckWritableDirectory(checkpoints, "--checkpoint-dir");
        }
        else if (s.CheckpointEvery != 0 || s.KeepCheckpoints != CheckpointDirectory.DefaultKeep)
        {
            throw new UsageException("--checkpoint-every and --keep-checkpoints need --checkpoint-dir");
        }

        if (s.MaxRestarts < 0)
        {
            throw new UsageException($"--max-restarts must be at least 0, got {s.MaxRestarts}");
        }

        if (s.MaxSkips < 0)
        {
            throw new UsageException($"--max-skips must be at least 0, got {s.MaxSkips}");
        }

        if (s.MaxSkips != NonFiniteGuard.DefaultMaxSkips && s.OnNonFinite != "skip")
        {
            throw new UsageException("--max-skips needs --on-nonfinite skip");
        }
    }

    private static DataParallelOptions Parallel(TrainSettings s)
    {
        if (s.EffectiveZero is < 0 or > 2)
        {
            throw new UsageException($"--zero must be 0, 1 or 2, got {s.EffectiveZero}");
        }

        if (!(s.BucketMb > 0) || s.BucketMb > 1024)
        {
            throw new UsageException($"--bucket-mb must be above 0 and at most 1024, got {s.BucketMb}");
        }

        return new DataParallelOptions((ZeroStage)s.EffectiveZero, (int)Math.Max(1, s.BucketMb * 1024 * 1024 / sizeof(float)), s.Accumulate);
    }
}
