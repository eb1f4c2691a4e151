using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Tests.Jobs.Fakes;
using Distributed.Core.DataParallel;
using Distributed.Core.Training;
using Distributed.Protocol;

namespace Distributed.Coordinator.Tests.Jobs;

/// <summary>
/// A whole training job driven against scripted workers over in-memory streams: 2 ranks, 10 samples in batches of
/// 4 (so 4, 4, 2: an uneven last step), 2 epochs, 6 test samples.
/// </summary>
public class TrainingDriverTests
{
    private const int BatchesPerEpoch = 3;

    private static readonly JobPlan Plan = FakeCluster.Plan(2) with { TrainSamples = 10, TestSamples = 6, BatchSize = 4, Epochs = 2, Seed = 7, Classifier = true };

    [Fact]
    public async Task EachRankGetsItsSliceOfTheSeededPermutationForEveryStep()
    {
        var run = await RunAsync(new TrainingScript());

        Assert.Null(run.Failure);
        var batches = new BatchPlan(Plan.TrainSamples, Plan.BatchSize, Plan.Seed);
        for (var rank = 0; rank < Plan.WorldSize; rank++)
        {
            var steps = run.Received[rank].Where(m => m.BodyCase == CoordinatorMessage.BodyOneofCase.Steps).SelectMany(m => m.Steps.Steps).ToArray();
            Assert.Equal([1L, 2, 3, 4, 5, 6], steps.Select(s => s.Step));
            foreach (var step in steps)
            {
                batches.BeginEpoch(step.Epoch);
                var global = batches.Batch((int)(step.Step - 1) % BatchesPerEpoch);
                var (start, count) = BatchShards.Of(global.Length, rank, Plan.WorldSize);
                Assert.Equal((int)((step.Step - 1) / BatchesPerEpoch) + 1, step.Epoch);
                Assert.Equal(global.Length, step.GlobalBatch);
                Assert.Equal(global.Slice(start, count).ToArray(), step.Indices.ToArray());
            }
        }
    }

    [Fact]
    public async Task EveryRankHearsTheProtocolInOrder()
    {
        var run = await RunAsync(new TrainingScript());

        // Each epoch's three steps travel as one batch.
        var s = CoordinatorMessage.BodyOneofCase.Steps;
        var e = CoordinatorMessage.BodyOneofCase.Eval;
        CoordinatorMessage.BodyOneofCase[] expected = [CoordinatorMessage.BodyOneofCase.Start, s, e, s, e, CoordinatorMessage.BodyOneofCase.Finish];
        Assert.All(run.Received, received => Assert.Equal(expected, received.Select(m => m.BodyCase)));
        Assert.Equal((0, 3, 3, 3), (run.Received[0][2].Eval.Start, run.Received[0][2].Eval.Count, run.Received[1][2].Eval.Start, run.Received[1][2].Eval.Count));
    }

    [Fact]
    public async Task StepsTravelInWindowsOfEightWithTwoInFlight()
    {
        // 40 samples in batches of 2: 20 steps an epoch, sent as 8, 8 and 4; the scripted workers answer a window only
        // once they hold the next, so a driver with one window in flight would stall here.
        var plan = Plan with { TrainSamples = 40, BatchSize = 2, Epochs = 1 };
        var run = await RunAsync(new TrainingScript(), plan, batchesPerEpoch: 20);

        Assert.Null(run.Failure);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), run.Report.Steps.Select(s => s.Step));
        Assert.All(run.Received, r => Assert.Equal([8, 8, 4], r.Where(m => m.BodyCase == CoordinatorMessage.BodyOneofCase.Steps).Select(m => m.Steps.Steps.Count)));
    }

    [Fact]
    public async Task StepLossesAreTheSumOverRanksAndEpochMetricsWeighEachStepBySize()
    {
        var run = await RunAsync(new TrainingScript());

        Assert.Null(run.Failure);
        Assert.Equal([1L, 2, 3, 4, 5, 6], run.Report.Steps.Select(s => s.Step));
        Assert.All(run.Report.Steps, s => Assert.Equal(TrainingScript.LossOf(0, s.Step) + TrainingScript.LossOf(1, s.Step), s.Loss, 12));
        Assert.Equal([4, 4, 2, 4, 4, 2], run.Report.Steps.Select(s => s.BatchSize));

        var epochs = run.Report.Epochs;
        Assert.Equal(2, epochs.Count);
        for (var e = 0; e < 2; e++)
        {
            var first = (3 * e) + 1;
            var trainLoss = ((GlobalLoss(first) * 4) + (GlobalLoss(first + 1) * 4) + (GlobalLoss(first + 2) * 2)) / 10;
            Assert.Equal(trainLoss, epochs[e].TrainLoss, 12);
            Assert.Equal(3 * (TrainingScript.CorrectOf(0) + TrainingScript.CorrectOf(1)) / 10.0, epochs[e].TrainAccuracy);

            // Ranks evaluate 3 test samples each: losses 0.25 and 0.5 per sample, 3 and 2 right.
            Assert.Equal(((0.25 * 3) + (0.5 * 3)) / 6, epochs[e].TestLoss!.Value, 12);
            Assert.Equal(5 / 6.0, epochs[e].TestAccuracy);
        }

        var result = run.Result!;
        Assert.Equal(6, result.Training.Steps);
        Assert.Equal(epochs[1].TrainLoss, result.Training.FinalLoss);
        Assert.Equal(0xC0FFEEUL, result.Checksum);
        Assert.NotNull(result.Parameters);
        Assert.Equal([1.5f, -2f], result.Parameters);
    }

    [Fact]
    public async Task RanksStartingFromDifferentParametersAreRefused()
    {
        var run = await RunAsync(new TrainingScript { StartChecksum = rank => 0xAAUL + (ulong)rank });

        Assert.Equal("rank 1 starts from different parameters than rank 0 (checksum 00000000000000ab vs 00000000000000aa)", run.Failure?.Message);
        Assert.All(run.Received, r => Assert.Equal(CoordinatorMessage.BodyOneofCase.Abort, Assert.Single(r).BodyCase));
    }

    [Fact]
    public async Task RanksEndingWithDifferentParametersFailTheJob()
    {
        var run = await RunAsync(new TrainingScript { FinalChecksum = rank => rank == 1 ? 0xBADUL : 0xC0FFEEUL });

        Assert.Equal("rank 1 ended with different parameters from rank 0 (checksum 0000000000000bad vs 0000000000c0ffee)", run.Failure?.Message);
    }

    [Fact]
    public async Task AMessageTheProtocolDoesNotAllowFailsTheJobNamingTheRankAndStep()
    {
        // At step 1: the coordinator cannot have moved past a step whose report rank 1 never sent, whereas at a later
        // step rank 1 may run ahead of rank 0 and the coordinator would still await the step before.
        var script = new TrainingScript
        {
            Answer = (rank, step) => rank == 1 && step.Step == 1 ? new WorkerMessage { EvalDone = new EvalDone() } : TrainingScript.StepDoneOf(rank, step),
        };

        var run = await RunAsync(script);

        Assert.Equal("rank 1 sent EvalDone at step 1 while the coordinator awaited every rank's report of step 1", run.Failure?.Message);
    }

    private static double GlobalLoss(long step) => TrainingScript.LossOf(0, step) + TrainingScript.LossOf(1, step);

    /// <summary>Runs the driver against scripted workers and ends the job as the command line does, failed or not.</summary>
    private static async Task<DriverRun> RunAsync(TrainingScript script, JobPlan? plan = null, int batchesPerEpoch = BatchesPerEpoch)
    {
        plan ??= Plan;
        await using var cluster = await FakeCluster.StartAsync(plan);
        var report = new RecordingTrainingReport();
        var driver = new TrainingDriver(cluster.Job, report, _ => 0.1);
        var workers = cluster.Workers.Select((w, rank) => ScriptedTrainingWorker.RunAsync(w, rank, batchesPerEpoch, plan.TrainSamples, plan.TestSamples, script)).ToArray();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        DistributedResult? result = null;
        JobFailedException? failure = null;
        try
        {
            result = await driver.RunAsync(timeout.Token);
            cluster.Job.End(null);
        }
        catch (JobFailedException ex)
        {
            failure = ex;
            cluster.Job.End(ex.Message);
        }

        return new DriverRun(result, failure, report, await Task.WhenAll(workers));
    }

    private sealed record DriverRun(DistributedResult? Result, JobFailedException? Failure, RecordingTrainingReport Report, List<CoordinatorMessage>[] Received);
}
