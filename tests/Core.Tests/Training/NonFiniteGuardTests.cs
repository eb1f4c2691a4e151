using Distributed.Core.Collectives;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

public class NonFiniteGuardTests
{
    [Fact]
    public void StopNamesTheStepAndSkipCountsUpToTheLimit()
    {
        Assert.True(new NonFiniteGuard().AllowsUpdate(3.5, 1));
        var stop = Assert.Throws<TrainingDivergedException>(() => new NonFiniteGuard().AllowsUpdate(double.NaN, 12));
        Assert.Contains("at step 12", stop.Message);

        var skip = new NonFiniteGuard(NonFinitePolicy.Skip, maxSkips: 2);
        Assert.False(skip.AllowsUpdate(double.PositiveInfinity, 3));
        Assert.False(skip.AllowsUpdate(double.NaN, 4));
        Assert.True(skip.AllowsUpdate(1, 5));
        var over = Assert.Throws<TrainingDivergedException>(() => skip.AllowsUpdate(double.NaN, 6));
        Assert.Contains("at 3 steps, the last at step 6, more than --max-skips 2", over.Message);
    }

    [Fact]
    public void ANonFiniteFinalParameterIsRefused()
    {
        NonFiniteGuard.CheckFinalParameters([1f, 2f, 3e19f], 5);
        var error = Assert.Throws<TrainingDivergedException>(() => NonFiniteGuard.CheckFinalParameters([1f, float.NegativeInfinity], 32));
        Assert.Contains("at the last step (32)", error.Message);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void ABatchWithANaNSampleNeverReachesTheParameters(string optimizer)
    {
        var data = WithNaNSample(out var poisoned);

        // stop: the step throws and the parameters are those before it, bit for bit.
        var (model, trainer) = Build(data, optimizer, NonFinitePolicy.Stop);
        trainer.TrainStep(data, [0, 1, 2]);
        var before = model.Parameters.Values.ToArray();
        Assert.Throws<TrainingDivergedException>(() => trainer.TrainStep(data, [3, poisoned, 5]));
        Assert.Equal(before, model.Parameters.Values.ToArray());

        // skip: the step changes nothing, and training goes on with finite values.
        (model, trainer) = Build(data, optimizer, NonFinitePolicy.Skip);
        trainer.TrainStep(data, [0, 1, 2]);
        before = model.Parameters.Values.ToArray();
        trainer.TrainStep(data, [3, poisoned, 5]);
        Assert.Equal(before, model.Parameters.Values.ToArray());
        Assert.Equal(1, trainer.SkippedSteps);
        trainer.TrainStep(data, [7, 8, 9]);
        Assert.NotEqual(before, model.Parameters.Values.ToArray());
        Assert.All(model.Parameters.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(ZeroStage.None)]
    [InlineData(ZeroStage.Gradients)]
    public async Task EveryRankSkipsTheStepWhoseNaNOnlyOneRankSaw(ZeroStage zero)
    {
        var data = WithNaNSample(out var poisoned);
        var transports = InProcessRing.Create(2);
        int[][] batches = [[0, 1, 2, 3], [4, 5, poisoned, 6], [7, 8, 9, 10]];
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            var model = Model(data);
            var settings = new OptimizerSettings { Name = "adam", Lr = 0.01 };
            var trainer = new DataParallelTrainer(model, settings, new ConstantSchedule(), new RingCollectives(transports[r]), new DataParallelOptions(zero, OnNonFinite: NonFinitePolicy.Skip), data.TargetLength);
            var skipped = new List<bool>();
            long step = 0;
            foreach (var global in batches)
            {
                var (start, count) = BatchShards.Of(global.Length, r, 2);
                skipped.Add((await trainer.StepAsync(data, global.AsMemory(start, count), global.Length, start, ++step, CancellationToken.None)).Skipped);
            }

            return (Skipped: skipped, Values: model.Parameters.Values.ToArray());
        })));

        Assert.All(results, r => Assert.Equal([false, true, false], r.Skipped));
        Assert.Equal(results[0].Values, results[1].Values);
        Assert.All(results[0].Values, v => Assert.True(float.IsFinite(v)));
    }

    private static Dataset WithNaNSample(out int poisoned)
    {
        var clean = SyntheticData.Create([8], classes: 3, count: 12, seed: 2);
        var features = clean.Features.ToArray();
        poisoned = 6;
        features[(poisoned * clean.SampleLength) + 1] = float.NaN;
        return new Dataset("poisoned", clean.SampleShape, features, clean.Targets, clean.TargetLength, clean.Classes);
    }

    private static Model Model(Dataset data) => ModelZoo.Create("mlp", data.SampleShape, data.Classes, new CpuBackend(1), new ModelOptions(4));

    private static (Model, Trainer) Build(Dataset data, string optimizer, NonFinitePolicy policy)
    {
        var model = Model(data);
        var settings = new OptimizerSettings { Name = optimizer, Lr = 0.01 };
        var trainer = new Trainer(model, settings.Create(model.Backend, model.Parameters.Values, model.Parameters.Gradients, null), new TrainOptions(1, 3, 1, OnNonFinite: policy), data.TargetLength);
        return (model, trainer);
    }
}
