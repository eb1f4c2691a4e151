using Distributed.Coordinator.Jobs;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;
using Distributed.Worker;

namespace Distributed.Integration.Tests;

/// <summary>The coordinator and its workers over real gRPC in one process (<see cref="InProcessCluster"/>).</summary>
public class InProcessClusterTests
{
    private const ulong Seed = 1;
    private static readonly OptimizerSettings Sgd = new() { Name = "sgd", Lr = 0.05 };

    [Fact]
    public async Task TwoWorkersTrainTwoStepsAndEndWithTheParametersOfOneProcess()
    {
        // The four points of y = 2x in batches of 2: two steps, one sample per rank each.
        var data = LinearRegressionData.Builtin();
        var plan = new JobPlan { WorldSize = 2, JobId = "in-process", Config = "model=linreg; optimizer=sgd; lr=0.05; zero=2", TrainSamples = data.Count, BatchSize = 2, Epochs = 1, Seed = Seed, JoinTimeout = TimeSpan.FromSeconds(60), PeerTimeout = TimeSpan.FromSeconds(30) };
        await using var cluster = await InProcessCluster.StartAsync(plan, (settings, log) =>
            WorkerRuntime.ForTraining(settings, Linreg(data), Sgd, new ConstantSchedule(), new DataSplit(data, null, "builtin"), new DataParallelOptions(ZeroStage.Gradients), null, log));

        var driver = new TrainingDriver(cluster.Job, new NoReport(), _ => Sgd.Lr);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await driver.RunAsync(timeout.Token);
        cluster.Job.End(null);
        await Task.WhenAll(cluster.Workers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, result.Training.Steps);
        Assert.All(cluster.Job.Ranks, r => Assert.True(r.Finished));
        Assert.Contains("joined as rank 0 of 2", cluster.Log);
        Assert.Contains("joined as rank 1 of 2", cluster.Log);
        Assert.NotNull(result.Parameters);
        var reference = OneProcess(data, plan);
        Assert.Equal(reference.Length, result.Parameters.Length);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], result.Parameters[i], 1e-6f);
        }
    }

    private static Model Linreg(Dataset data) => ModelZoo.Create("linreg", data.SampleShape, data.TargetLength, new CpuBackend(1), new ModelOptions(Seed));

    /// <summary>The same batches, in the same order, in one process.</summary>
    private static float[] OneProcess(Dataset data, JobPlan plan)
    {
        var model = Linreg(data);
        var optimizer = Sgd.Create(model.Backend, model.Parameters.Values, model.Parameters.Gradients, new ConstantSchedule());
        var trainer = new Trainer(model, optimizer, new TrainOptions(1, plan.BatchSize, Seed), data.TargetLength);
        var batches = new BatchPlan(data.Count, plan.BatchSize, plan.Seed);
        batches.BeginEpoch(1);
        for (var b = 0; b < batches.BatchesPerEpoch; b++)
        {
            trainer.TrainStep(data, batches.Batch(b));
        }

        return model.Parameters.Values.Span.ToArray();
    }

    private sealed class NoReport : ITrainingReport
    {
        public void Line(string text)
        {
        }

        public void Step(StepMetrics step)
        {
        }

        public void Epoch(EpochMetrics epoch)
        {
        }
    }
}
