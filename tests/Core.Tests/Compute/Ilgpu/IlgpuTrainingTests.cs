using Distributed.Core.Collectives;
using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// Whole training runs on the ILGPU backend (CPU accelerator) with no test scaffolding in between: tensors stay on
/// the device, and only the trainers' own Upload/Download calls move data. They must reach the parameters the CPU
/// backend reaches, in one process and as data-parallel ranks (where gradient buckets and ZeRO slices cross to the
/// host for the ring). A missing Upload or Download shows up here as a stale batch, gradient or parameter.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuTrainingTests
{
    private const int Steps = 4;
    private const int Batch = 12;
    private static readonly Dataset Vectors = SyntheticData.Create([20], classes: 5, count: 60, seed: 9);
    private static readonly Dataset Images = SyntheticData.Create([2, 4, 4], classes: 4, count: 48, seed: 4);

    [Theory]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    [InlineData("mlp", "adam", 0f)]
    [InlineData("mlp", "nesterov", 0.25f)]
    [InlineData("cnn", "adamw", 0f)]
    [InlineData("cnn", "rmsprop", 0.25f)]
    [InlineData("conv(3,3,pad=1) leakyrelu(0.1) avgpool(2) gelu flatten dropout(0.25) linear(8) tanh linear(6) sigmoid linear(4)", "adam", 0f)]
    public void SingleProcessMatchesTheCpuBackend(string model, string optimizer, float dropout)
    {
        var data = model == "mlp" ? Vectors : Images;
        var settings = Settings(optimizer);
        var expected = Train(new CpuBackend(1), model, data, settings, dropout, out var cpuLoss);

        using var device = new IlgpuBackend(IlgpuTestDevices.Cpu, IlgpuGemmChoice.Tiled);
        var actual = Train(device, model, data, settings, dropout, out var deviceLoss);

        AssertClose(expected, actual, $"{model} {optimizer}");
        Assert.True(Math.Abs(deviceLoss - cpuLoss) <= 1e-4 * Math.Abs(cpuLoss), $"last loss {deviceLoss} on the device, {cpuLoss} on the CPU");
    }

    [Theory]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    // Stage 0 covers the bucket round trip; stage 2 the reduce-scatter and the parameter all-gather stage 1 shares.
    [InlineData(ZeroStage.None)]
    [InlineData(ZeroStage.Gradients)]
    public async Task TwoRanksMatchOneCpuProcess(ZeroStage zero)
    {
        var settings = Settings("adam") with { MaxGradNorm = 0.5 };
        var expected = Train(new CpuBackend(1), "mlp", Vectors, settings, 0f, out _);

        const int n = 2;
        var transports = InProcessRing.Create(n);
        var results = new float[n][];
        await Task.WhenAll(Enumerable.Range(0, n).Select(r => Task.Run(async () =>
        {
            // Each rank has its own accelerator, as each worker process has its own GPU context.
            using var accelerator = IlgpuDevices.CreateCpuAccelerator(IlgpuTestDevices.Context);
            using var backend = new IlgpuBackend(accelerator, IlgpuGemmChoice.Tiled);
            var model = Build("mlp", Vectors, backend, 0f);
            var ring = new RingCollectives(transports[r], chunkFloats: 64, TimeSpan.FromSeconds(60));
            var trainer = new DataParallelTrainer(model, settings, Schedule(), ring, new DataParallelOptions(zero, 300), Vectors.TargetLength);
            var plan = new BatchPlan(Vectors.Count, Batch, 5);
            plan.BeginEpoch(1);
            for (var s = 0; s < Steps; s++)
            {
                var global = plan.Batch(s).ToArray();
                var (start, count) = BatchShards.Of(global.Length, r, n);
                await trainer.StepAsync(Vectors, global.AsMemory(start, count), global.Length, start, s + 1, CancellationToken.None);
            }

            backend.Download(model.Parameters.Values);
            results[r] = model.Parameters.Values.ToArray();
        })));

        AssertClose(expected, results[0], $"rank 0, zero {zero}");
        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public void AStepMovesOnlyTheBatchAcrossTheBus()
    {
        using var device = new IlgpuBackend(IlgpuTestDevices.Cpu, IlgpuGemmChoice.Tiled);
        var model = Build("mlp", Vectors, device, 0f);
        var optimizer = Settings("adam").Create(device, model.Parameters.Values, model.Parameters.Gradients, null);
        var trainer = new Trainer(model, optimizer, new TrainOptions(1, Batch, 5), Vectors.TargetLength);
        var indices = Enumerable.Range(0, Batch).ToArray();
        trainer.TrainStep(Vectors, indices);
        var before = device.FloatsTransferred;

        trainer.TrainStep(Vectors, indices);

        var after = device.FloatsTransferred;
        Assert.Equal(Batch * (20 + 1), after.Uploaded - before.Uploaded);
        Assert.Equal(0, after.Downloaded - before.Downloaded);
    }

    private static float[] Train(IComputeBackend backend, string name, Dataset data, OptimizerSettings settings, float dropout, out double lastLoss)
    {
        var model = Build(name, data, backend, dropout);
        var optimizer = settings.Create(backend, model.Parameters.Values, model.Parameters.Gradients, Schedule());
        var trainer = new Trainer(model, optimizer, new TrainOptions(1, Batch, 5), data.TargetLength);
        var plan = new BatchPlan(data.Count, Batch, 5);
        plan.BeginEpoch(1);
        lastLoss = 0;
        for (var s = 0; s < Steps; s++)
        {
            lastLoss = trainer.TrainStep(data, plan.Batch(s)).Loss;
        }

        backend.Download(model.Parameters.Values);
        return model.Parameters.Values.ToArray();
    }

    private static Model Build(string name, Dataset data, IComputeBackend backend, float dropout) =>
        ModelChoice.Parse(name).Create(data.SampleShape, data.Classes, Core.Losses.LossKind.CrossEntropy, backend, new ModelOptions(3, Dropout: dropout));

    private static LearningRateSchedule Schedule() => new ScheduleSettings { Name = "cosine", WarmupSteps = 1 }.Create(Steps);

    private static OptimizerSettings Settings(string name) => new() { Name = name, Lr = 0.01, WeightDecay = 1e-3 };

    /// <summary>float32 GEMMs summed in another order: 1e-5 of the parameters' norm is far below any real mistake.</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        var relative = Math.Sqrt(diff / norm);
        Assert.True(relative <= 1e-4, $"{what}: relative L2 error {relative:E2}");
    }
}
