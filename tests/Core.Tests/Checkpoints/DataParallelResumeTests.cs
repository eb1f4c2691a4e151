using Distributed.Core.Checkpoints;
using Distributed.Core.Collectives;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;
using Distributed.Tests.Shared;

namespace Distributed.Core.Tests.Checkpoints;

/// <summary>
/// Ranks on the in-process ring write their shards of a checkpoint at the same time; ranks of the same world size
/// and stage resume it to the uninterrupted run's bits, and any other world size or stage (one process included)
/// resumes it resharded, within the N-worker equivalence tolerance.
/// </summary>
public class DataParallelResumeTests
{
    private const int Batch = 24;
    private const string Config = "model=mlp; test";

    /// <summary>100 samples in batches of 24: 5 steps an epoch (the last of 4), 10 over two epochs.</summary>
    private static readonly Dataset Data = SyntheticData.Create([10], classes: 3, count: 100, seed: 8);

    private static readonly int[][] Batches = GlobalBatches().ToArray();

    private static readonly OptimizerSettings Adam = new() { Name = "adam", Lr = 0.01, MaxGradNorm = 1.0 };

    [Theory]
    [InlineData(ZeroStage.None)]
    [InlineData(ZeroStage.OptimizerState)]
    [InlineData(ZeroStage.Gradients)]
    public async Task TheSameRanksResumeToTheUninterruptedBits(ZeroStage zero)
    {
        using var temp = new TempDirectory();
        var uninterrupted = await Ranks(3, zero, null, checkpointAfter: null, temp.Path);
        await Ranks(3, zero, null, checkpointAfter: 7, temp.Path);

        var resumed = await Ranks(3, zero, CheckpointDirectory.Resolve(temp.Path, TextWriter.Null), checkpointAfter: null, temp.Path);

        Assert.True(uninterrupted.AsSpan().SequenceEqual(resumed), $"ZeRO {(int)zero}: resumed parameters differ");
    }

    [Fact]
    public async Task ThreeRanksUnderStageOneReshardToTwoUnderStageTwoAndThenToOneProcess()
    {
        using var temp = new TempDirectory();
        var uninterrupted = await Ranks(3, ZeroStage.OptimizerState, null, null, temp.Path);
        var first = Path.Combine(temp.Path, "a");
        var second = Path.Combine(temp.Path, "b");

        await Ranks(3, ZeroStage.OptimizerState, null, checkpointAfter: 3, first);
        await Ranks(2, ZeroStage.Gradients, CheckpointDirectory.Resolve(first, TextWriter.Null), checkpointAfter: 6, second);
        var resumed = OneProcess(CheckpointDirectory.Resolve(second, TextWriter.Null));

        Assert.True(RelativeError(resumed, uninterrupted) <= 1e-5, $"relative error {RelativeError(resumed, uninterrupted):E2}");
    }

    /// <summary>
    /// Runs <paramref name="n"/> ranks over the batches after the resumed step (all of them when fresh), writing a
    /// checkpoint after step <paramref name="checkpointAfter"/> as the coordinator would (shards by the ranks, then the
    /// manifest), and returns rank 0's final parameters (the ranks are checked to agree).
    /// </summary>
    private static async Task<float[]> Ranks(int n, ZeroStage zero, ResumePoint? resume, long? checkpointAfter, string root)
    {
        var transports = InProcessRing.Create(n);
        var shards = new CheckpointShard[n];
        var results = await Task.WhenAll(Enumerable.Range(0, n).Select(r => Task.Run(async () =>
        {
            var model = Model(overwritten: resume is not null);
            var trainer = new DataParallelTrainer(model, Adam, Schedule(), new RingCollectives(transports[r], chunkFloats: 64), new DataParallelOptions(zero, BucketFloats: 200), Data.TargetLength);
            if (resume is not null)
            {
                trainer.Resume(resume);
            }

            for (var step = (resume?.Manifest.Step ?? 0) + 1; step <= Batches.Length; step++)
            {
                var global = Batches[step - 1];
                var (start, count) = BatchShards.Of(global.Length, r, n);
                await trainer.StepAsync(Data, global.AsMemory(start, count), global.Length, start, step, CancellationToken.None);
                if (step == checkpointAfter)
                {
                    shards[r] = trainer.WriteCheckpointShard(CheckpointDirectory.ForStep(root, step));
                }
            }

            return model.Parameters.Values.ToArray();
        })));
        Assert.All(results, r => Assert.True(r.AsSpan().SequenceEqual(results[0]), "ranks disagree"));
        if (checkpointAfter is { } at)
        {
            WriteManifest(root, at, n, zero, shards);
        }

        return results[0];
    }

    private static float[] OneProcess(ResumePoint resume)
    {
        var model = Model(overwritten: true);
        var optimizer = Adam.Create(model.Backend, model.Parameters.Values, model.Parameters.Gradients, Schedule());
        var trainer = new Trainer(model, optimizer, new TrainOptions(2, Batch, 5), Data.TargetLength);
        trainer.Resume(resume);
        foreach (var global in Batches.Skip((int)resume.Manifest.Step))
        {
            trainer.TrainStep(Data, global);
        }

        return model.Parameters.Values.ToArray();
    }

    /// <summary>What the coordinator writes once every rank's shard is in (the loads here do not check the checksum).</summary>
    private static void WriteManifest(string root, long step, int n, ZeroStage zero, CheckpointShard[] shards)
    {
        var directory = CheckpointDirectory.ForStep(root, step);
        var manifest = new CheckpointManifest
        {
            Config = Config,
            ParameterCount = shards.Sum(s => s.Length),
            ParameterChecksum = 0,
            Step = step,
            OptimizerSteps = step,
            Epoch = (int)((step - 1) / 5) + 1,
            BatchesDone = (int)((step - 1) % 5) + 1,
            WorldSize = n,
            ZeroStage = (int)zero,
            Optimizer = "adam",
            State = ["m", "v"],
            Shards = shards,
        };
        manifest.Write(directory);
    }

    /// <summary>The run's model; a resumed one starts from other values, which the checkpoint must overwrite.</summary>
    private static Model Model(bool overwritten)
    {
        var model = ModelZoo.Create("mlp", Data.SampleShape, Data.Classes, new CpuBackend(1), new ModelOptions(3, Dropout: 0.1f));
        if (overwritten)
        {
            model.Parameters.Values.Span.Fill(0.5f);
        }

        return model;
    }

    private static LearningRateSchedule Schedule() => new ScheduleSettings { Name = "cosine", WarmupSteps = 2 }.Create(Batches.Length);

    private static IEnumerable<int[]> GlobalBatches()
    {
        var plan = new BatchPlan(Data.Count, Batch, 5);
        for (var epoch = 1; epoch <= 2; epoch++)
        {
            plan.BeginEpoch(epoch);
            for (var b = 0; b < plan.BatchesPerEpoch; b++)
            {
                yield return plan.Batch(b).ToArray();
            }
        }
    }

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
