using System.CommandLine;
using System.Globalization;
using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `bench train`: training throughput of the mlp or cnn with Adam, measured exactly as the libtorch anchor
/// (libtorch-bench in the workplace's shared anchors) measures it: 8,192 synthetic samples of the model's input shape, batches
/// taken in order, 10 warm-up steps, then a timed run. Also counts managed bytes allocated per step. On the CPU by
/// default; <c>--device cuda</c> times the same steps on a GPU, for comparison with bench/pytorch/train_bench.py.
/// </summary>
internal static class BenchTrainCommand
{
    private const int SyntheticSamples = 8192;

    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "mlp | cnn (cnn on 3×32×32, as the anchor)", DefaultValueFactory = _ => "mlp" };
        var batch = new Option<int>("--batch-size") { Description = "samples per step", DefaultValueFactory = _ => 128 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (default: all cores)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device")
        {
            Description = "cpu | cuda | auto | ilgpu-cpu: where the steps run (default cpu; ilgpu-cpu is the GPU code on ILGPU's CPU accelerator, slow, for checking)",
            DefaultValueFactory = _ => "cpu",
        };
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 200 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first", DefaultValueFactory = _ => 10 };
        var workers = new Option<int>("--workers") { Description = "0 trains in this process; N runs N local worker processes over gRPC with the global batch split among them", DefaultValueFactory = _ => 0 };
        var transport = new Option<string>("--transport") { Description = "with --workers: auto | shm | grpc, how the workers' ring links travel", DefaultValueFactory = _ => new TrainSettings().Transport };
        var zero = new Option<int?>("--zero") { Description = "with --workers: ZeRO stage, as train's --zero (0 all-reduce, 1 shard optimizer state, 2 also shard gradients; default 2)" };
        var placement = new DistributedOptionsSet();
        var json = new Option<string?>("--json") { Description = "write {samples_per_second, ms_per_step, allocated_bytes_per_step, …} to this file" };
        var command = new Command("train", "Training throughput (samples/s, ms/step, bytes allocated per step) on synthetic data.")
        {
            model, batch, threads, device, steps, warmup, workers, transport, zero, placement.CpuBind, json,
        };
        command.SetAction(async (r, cancel) =>
        {
            var name = r.GetValue(model)!;
            if (name is not ("mlp" or "cnn"))
            {
                throw new UsageException($"bench train runs mlp or cnn, got '{name}'");
            }

            var b = Positive(r.GetValue(batch), "--batch-size", SyntheticSamples / 2);
            var s = Positive(r.GetValue(steps), "--steps", 1_000_000);
            var w = r.GetValue(warmup) is var wu and >= 0 and <= 1_000_000 ? wu : throw new UsageException($"--warmup must be between 0 and 1000000, got {r.GetValue(warmup)}");
            var t = Limits.Threads(r.GetValue(threads));
            var dev = Limits.Device(r.GetValue(device)!);
            var n = r.GetValue(workers) is 0 ? 0 : Limits.LocalWorkers(r.GetValue(workers));
            if (n == 0 && r.GetValue(zero) is not null)
            {
                throw new UsageException("--zero needs --workers: one process has nothing to shard");
            }

            ThroughputResult result;
            double[]? perRank = null;
            string ran;
            string? backendName = null;
            if (n == 0)
            {
                result = Run(name, b, dev, t, s, w, output, out var backend);
                backendName = backend;

                // A backend's name starts with its kind (cpu, cuda, ilgpu-cpu): what auto turned into.
                ran = backend.Split(' ')[0];
            }
            else
            {
                if (w < 1)
                {
                    throw new UsageException("--workers needs at least 1 warm-up step: the allocation count starts after it");
                }

                if (b < n)
                {
                    throw new UsageException($"a global batch of {b} cannot be split across {n} workers");
                }

                // Each worker picks its own backend and prints it ("[rank r] worker device: …").
                var settings = new TrainSettings
                {
                    Model = name, Data = "synthetic", SyntheticSamples = SyntheticSamples, BatchSize = b, Device = dev, Threads = t, Transport = r.GetValue(transport)!, Zero = r.GetValue(zero),
                    Optimizer = new OptimizerSettings { Name = "adam" },
                };
                output.WriteLine($"{name}: Adam, global batch {b} over {n} worker processes, --device {dev}, ZeRO stage {settings.EffectiveZero}, {s} timed steps after {w} warm-up");
                var distributed = await BenchTrainDistributed.RunAsync(settings, s, w, n, placement.CpuBindMode(r), output, cancel);
                ran = dev;
                result = distributed.Throughput;
                perRank = distributed.AllocatedBytesPerStepByRank;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"samples/s {result.SamplesPerSecond:0} · ms/step {result.MsPerStep:0.000} · allocated bytes/step {result.AllocatedBytesPerStep:0}{(perRank is null ? "" : $" (most of any worker; per rank: {string.Join(", ", perRank.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))})")}"));
            if (r.GetValue(json) is { } path)
            {
                JsonFiles.Write(path, new
                {
                    Model = name, Device = ran, Backend = backendName, BatchSize = b, Threads = t, Workers = n, Steps = s, result.SamplesPerSecond, result.MsPerStep,
                    result.AllocatedBytesPerStep, AllocatedBytesPerStepByRank = perRank,
                    Kernel = ran == "cpu" ? FmaPeak.KernelDescription : null,
                });
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static ThroughputResult Run(string name, int batchSize, string device, int threads, int steps, int warmup, TextWriter output, out string backendName)
    {
        var shape = ModelZoo.SyntheticInputShape(name);
        var data = SyntheticData.Create(shape, classes: 10, SyntheticSamples, seed: 1);
        var backend = ComputeDevices.Create(device, threads, out var report);
        using var owned = backend as IDisposable;
        backendName = backend.Name;
        if (report != $"device: {backend.Name}")
        {
            // auto fell back to the CPU: say why.
            output.WriteLine(report);
        }

        var model = ModelZoo.Create(name, shape, 10, backend, new ModelOptions(1));
        var optimizer = new OptimizerSettings { Name = "adam" }.Create(backend, model.Parameters.Values, model.Parameters.Gradients, null);
        var trainer = new Trainer(model, optimizer, new TrainOptions(1, batchSize, 1), data.TargetLength);
        var indices = new int[batchSize];
        output.WriteLine($"{name}: {model.Parameters.Count:N0} parameters, Adam, batch {batchSize}, {backend.Name}, {steps} timed steps after {warmup} warm-up");

        // A step must be finished on the device before the clock reads it. On a GPU, the loss read in TrainStep waits
        // only for the forward pass; what waits for backward and the Adam update is the accuracy count read after
        // them (one in-order stream). The explicit wait costs nothing on an idle stream and does not lean on that.
        var gpu = backend as IlgpuBackend;

        // The anchor's batches: consecutive samples from offset (step · batch) mod (n − batch).
        return ThroughputProbe.Measure(
            step =>
            {
                var offset = step * batchSize % (SyntheticSamples - batchSize);
                for (var i = 0; i < indices.Length; i++)
                {
                    indices[i] = offset + i;
                }

                trainer.TrainStep(data, indices);
                gpu?.Synchronize();
            },
            warmup,
            steps,
            batchSize);
    }

    private static int Positive(int value, string flag, int max) =>
        value >= 1 && value <= max ? value : throw new UsageException($"{flag} must be between 1 and {max}, got {value}");
}
