using Distributed.Core.Collectives;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.DataParallel;

/// <summary>
/// N ranks on the in-process ring reach the parameters one process reaches on the same global batches, for every
/// optimizer and ZeRO stage: the whole matrix lives here. Integration.Tests repeats two cases through the real
/// command line, processes and gRPC.
/// </summary>
public class DataParallelEquivalenceTests
{
    private const int Epochs = 2;
    private const int GlobalBatch = 30;

    /// <summary>
    /// 110 samples in batches of 30 make steps of 30, 30, 30 and 20 each epoch: 3 or 4 ranks split some steps
    /// unevenly, a short last step counts for less, and the second epoch's reshuffle is covered.
    /// </summary>
    private static readonly Dataset Data = SyntheticData.Create([20], classes: 5, count: 110, seed: 9);

    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var optimizer in OptimizerSettings.Names)
        {
            foreach (var zero in new[] { 0, 1, 2 })
            {
                foreach (var n in new[] { 1, 2, 3, 4 })
                {
                    data.Add(optimizer, zero, n);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task NRanksMatchOneProcess(string optimizer, int zero, int n)
    {
        var settings = Settings(optimizer);
        var reference = SingleProcess(settings);

        var ranks = await Distributed(settings, (ZeroStage)zero, n, bucketFloats: 300, chunkFloats: 64);

        var error = RelativeError(ranks[0], reference);
        Assert.True(error <= 1e-5, $"{optimizer} zero {zero} N {n}: relative error {error:E2}");
        foreach (var other in ranks.Skip(1))
        {
            Assert.True(ranks[0].AsSpan().SequenceEqual(other), "ranks disagree");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ClippingByGlobalNormHoldsUnderSharding(int zero)
    {
        var settings = Settings("adam") with { MaxGradNorm = 0.05 };
        var reference = SingleProcess(settings);

        var ranks = await Distributed(settings, (ZeroStage)zero, 3, bucketFloats: 300, chunkFloats: 64);

        Assert.True(RelativeError(ranks[2], reference) <= 1e-5);
        Assert.True(RelativeError(reference, SingleProcess(Settings("adam"))) > 1e-3, "the clip was not active");
    }

    [Fact]
    public async Task MoreRanksThanParametersLeavesSomeShardsEmpty()
    {
        // linreg has 2 parameters: with 3 ranks under stage 2 one rank owns nothing and must still take part.
        var data = LinearRegressionData.Builtin();
        var settings = new OptimizerSettings { Name = "sgd", Lr = 0.05, MaxGradNorm = 1.0 };
        var reference = SingleProcess(settings, "linreg", data, batch: 4);

        var ranks = await Distributed(settings, ZeroStage.Gradients, 3, 1, 1, "linreg", data, batch: 4);

        Assert.True(RelativeError(ranks[1], reference) <= 1e-6);
    }

    [Fact]
    public void OptimizerStateBytesAreTheShardsShare()
    {
        var backend = new CpuBackend(1);
        var model = Build("mlp", Data, backend);
        var transports = InProcessRing.Create(3);
        var trainer = new DataParallelTrainer(model, Settings("adam"), new ConstantSchedule(), new RingCollectives(transports[1]), new DataParallelOptions(ZeroStage.OptimizerState), Data.TargetLength);

        var perRank = (model.Parameters.Count + 2) / 3;
        Assert.Equal((long)perRank * 2 * sizeof(float), trainer.OptimizerStateBytes);
        Assert.Equal(perRank, trainer.Shard.Length);
    }

    [Fact]
    public void BucketsCoverTheGradientBackToFrontInWholeLayers()
    {
        var model = Build("mlp", Data, new CpuBackend(1));
        var buckets = new GradientBuckets(model.Network, 300).Buckets;

        Assert.Equal(0, buckets[^1].Start);
        Assert.Equal(model.Parameters.Count, buckets[0].Start + buckets[0].Length);
        for (var i = 1; i < buckets.Count; i++)
        {
            Assert.Equal(buckets[i - 1].Start, buckets[i].Start + buckets[i].Length);
            Assert.True(buckets[i].ReadyAfterLayer < buckets[i - 1].ReadyAfterLayer);
        }

        Assert.Single(new GradientBuckets(model.Network, int.MaxValue).Buckets);
    }

    [Fact]
    public void ShardsAreEqualWithinOneSample()
    {
        var sizes = Enumerable.Range(0, 4).Select(r => BatchShards.Of(30, r, 4)).ToArray();

        Assert.Equal(new ShardInfo[] { new(0, 8), new(8, 8), new(16, 7), new(23, 7) }, sizes);
        Assert.Equal(new ShardInfo(0, 0), BatchShards.Of(0, 0, 3));
    }

    [Theory]
    [InlineData(1, 3, ZeroStage.None)]
    [InlineData(2, 3, ZeroStage.None)]
    [InlineData(3, 2, ZeroStage.Gradients)]
    [InlineData(2, 40, ZeroStage.OptimizerState)]
    public async Task AccumulatingMicroBatchesMatchesTheWholeBatchInOneProcess(int n, int microBatches, ZeroStage zero)
    {
        // K micro-batches with one reduction (DDP's no_sync) against the batch of all of them in one process; 40 parts
        // is more than a rank has samples, so some parts are empty.
        var settings = Settings("adam");
        var expected = SingleProcess(settings);

        var ranks = await Distributed(settings, zero, n, bucketFloats: 1000, chunkFloats: 64, microBatches: microBatches);

        Assert.True(RelativeError(ranks[0], expected) < 1e-5, $"relative error {RelativeError(ranks[0], expected)}");
        Assert.All(ranks, r => Assert.True(r.AsSpan().SequenceEqual(ranks[0])));
    }

    [Theory]
    [InlineData(2, 1, ZeroStage.None)]
    [InlineData(3, 1, ZeroStage.Gradients)]
    [InlineData(4, 3, ZeroStage.OptimizerState)]
    public async Task WithDropoutNRanksMatchOneProcess(int n, int microBatches, ZeroStage zero)
    {
        // Masks keyed by the step and the sample's position in the global batch: the same units are dropped however
        // the batch is split among ranks and into micro-batches.
        var settings = Settings("adam");
        var expected = SingleProcess(settings, dropout: 0.3f);

        var ranks = await Distributed(settings, zero, n, bucketFloats: 300, chunkFloats: 64, microBatches: microBatches, dropout: 0.3f);

        Assert.True(RelativeError(ranks[0], expected) < 1e-5, $"relative error {RelativeError(ranks[0], expected)}");
        Assert.True(RelativeError(expected, SingleProcess(settings)) > 1e-3, "dropout was not active");
        Assert.All(ranks, r => Assert.True(r.AsSpan().SequenceEqual(ranks[0])));
    }

    [Fact]
    public void MicroBatchesInOneProcessMatchTheWholeBatch()
    {
        var settings = Settings("momentum");

        var accumulated = SingleProcess(settings, microBatches: 4);

        Assert.True(RelativeError(accumulated, SingleProcess(settings)) < 1e-5);
    }

    /// <summary>
    /// The adaptive optimizers run at a lower rate: early on they move a weight by about lr whatever its gradient's
    /// size, so a near-zero gradient whose sign depends on the summation order (N partial sums versus one) moves by
    /// lr either way.
    /// </summary>
    private static OptimizerSettings Settings(string name) => new() { Name = name, Lr = name is "sgd" or "momentum" or "nesterov" ? 0.05 : 0.01, WeightDecay = 1e-3, L1 = 1e-4 };

    private static float[] SingleProcess(OptimizerSettings settings, string model = "mlp", Dataset? data = null, int batch = GlobalBatch, int microBatches = 1, float dropout = 0f)
    {
        data ??= Data;
        var backend = new CpuBackend(1);
        var built = Build(model, data, backend, dropout);
        var optimizer = settings.Create(backend, built.Parameters.Values, built.Parameters.Gradients, Schedule(data, batch));
        var trainer = new Trainer(built, optimizer, new TrainOptions(1, batch, 5, MicroBatches: microBatches), data.TargetLength);
        foreach (var global in GlobalBatches(data, batch))
        {
            trainer.TrainStep(data, global);
        }

        return built.Parameters.Values.Span.ToArray();
    }

    private static async Task<float[][]> Distributed(OptimizerSettings settings, ZeroStage zero, int n, int bucketFloats, int chunkFloats, string model = "mlp", Dataset? data = null, int batch = GlobalBatch, int microBatches = 1, float dropout = 0f)
    {
        data ??= Data;
        var transports = InProcessRing.Create(n);
        var results = new float[n][];
        await Task.WhenAll(Enumerable.Range(0, n).Select(r => Task.Run(async () =>
        {
            var backend = new CpuBackend(1);
            var built = Build(model, data, backend, dropout);
            var ring = new RingCollectives(transports[r], chunkFloats, TimeSpan.FromSeconds(30));
            var trainer = new DataParallelTrainer(built, settings, Schedule(data, batch), ring, new DataParallelOptions(zero, bucketFloats, microBatches), data.TargetLength);
            long step = 0;
            foreach (var global in GlobalBatches(data, batch))
            {
                var (start, count) = BatchShards.Of(global.Length, r, n);
                await trainer.StepAsync(data, global.AsMemory(start, count), global.Length, start, ++step, CancellationToken.None);
            }

            results[r] = built.Parameters.Values.Span.ToArray();
        })));
        return results;
    }

    /// <summary>Every step's global batch, epoch after epoch, as the coordinator's plan hands them out.</summary>
    private static IEnumerable<int[]> GlobalBatches(Dataset data, int batch)
    {
        var plan = new BatchPlan(data.Count, batch, 5);
        for (var epoch = 1; epoch <= Epochs; epoch++)
        {
            plan.BeginEpoch(epoch);
            for (var b = 0; b < plan.BatchesPerEpoch; b++)
            {
                yield return plan.Batch(b).ToArray();
            }
        }
    }

    private static LearningRateSchedule Schedule(Dataset data, int batch) =>
        new ScheduleSettings { Name = "cosine", WarmupSteps = 1 }.Create(GlobalBatches(data, batch).Count());

    private static Model Build(string name, Dataset data, CpuBackend backend, float dropout = 0f) =>
        ModelZoo.Create(name, data.SampleShape, data.Classes > 0 ? data.Classes : data.TargetLength, backend, new ModelOptions(3, Dropout: dropout));

    private static double RelativeError(float[] actual, float[] expected)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        return Math.Sqrt(diff / norm);
    }
}
