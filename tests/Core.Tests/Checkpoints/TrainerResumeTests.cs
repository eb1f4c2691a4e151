using Distributed.Core.Checkpoints;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Tests.Shared;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Checkpoints;

/// <summary>
/// k steps, a checkpoint, and a fresh process resuming from it for the remaining steps end with exactly the bits of
/// one uninterrupted run: every optimizer, mid-epoch, with dropout, clipping and a schedule.
/// </summary>
public class TrainerResumeTests
{
    /// <summary>50 samples in batches of 8: 7 steps per epoch (the last of 2 samples), 21 over three epochs.</summary>
    private static readonly Dataset Data = SyntheticData.Create([12], classes: 4, count: 50, seed: 6);

    private const string Config = "model=mlp; test";

    public static TheoryData<string, long> Cases()
    {
        var cases = new TheoryData<string, long>();
        foreach (var optimizer in OptimizerSettings.Names)
        {
            // Step 10 is mid-epoch 2; step 7 ends epoch 1.
            cases.Add(optimizer, 10);
        }

        cases.Add("adam", 7);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResumingGivesTheUninterruptedRunsBits(string optimizer, long resumeAt)
    {
        using var temp = new TempDirectory();
        var root = Path.Combine(temp.Path, "checkpoints");
        var (uninterrupted, _) = Run(optimizer, new CheckpointPolicy(root, Every: 5, Keep: 50, Config), resume: null);

        var from = CheckpointDirectory.Resolve(CheckpointDirectory.ForStep(root, resumeAt), TextWriter.Null);
        var (resumed, trainer) = Run(optimizer, null, from);

        Assert.Equal(resumeAt, from.Manifest.Step);
        Assert.Equal(21, trainer.Steps);
        Assert.True(uninterrupted.AsSpan().SequenceEqual(resumed), $"{optimizer}: resumed parameters differ");
    }

    [Fact]
    public void ResumeContinuesTheEpochsMetrics()
    {
        using var temp = new TempDirectory();
        var root = Path.Combine(temp.Path, "checkpoints");
        var whole = Trainer("adam", new CheckpointPolicy(root, 5, 50, Config), out _);
        var wholeResult = whole.Fit(Data, null);

        var resumed = Trainer("adam", null, out _);
        resumed.Resume(CheckpointDirectory.Resolve(CheckpointDirectory.ForStep(root, 10), TextWriter.Null));
        var resumedResult = resumed.Fit(Data, null);

        // The resumed run reports epochs 2 and 3 only, each with the same sums as the uninterrupted run's.
        Assert.Equal(wholeResult.Epochs.Skip(1).Select(e => e.TrainLoss), resumedResult.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(wholeResult.Epochs.Skip(1).Select(e => e.TrainAccuracy), resumedResult.Epochs.Select(e => e.TrainAccuracy));
    }

    [Fact]
    public void ACheckpointIsWrittenEveryNStepsAtEachEpochEndAndOnlyTheNewestAreKept()
    {
        using var temp = new TempDirectory();
        var root = Path.Combine(temp.Path, "checkpoints");
        Run("sgd", new CheckpointPolicy(root, Every: 5, Keep: 3, Config), null);

        // Due: 5, 7, 10, 14, 15, 20, 21; kept: the newest three.
        Assert.Equal(["step-000000015", "step-000000020", "step-000000021"], Directory.GetDirectories(root).Select(d => Path.GetFileName(d)).Order().ToArray());
        var last = CheckpointDirectory.Verify(CheckpointDirectory.ForStep(root, 21));
        Assert.Equal((3, 7, 21L), (last.Epoch, last.BatchesDone, last.Step));
    }

    private static (float[] Parameters, Trainer Trainer) Run(string optimizer, CheckpointPolicy? policy, ResumePoint? resume)
    {
        var trainer = Trainer(optimizer, policy, out var model);
        if (resume is not null)
        {
            trainer.Resume(resume);
        }

        trainer.Fit(Data, null);
        return (model.Parameters.Values.ToArray(), trainer);
    }

    private static Trainer Trainer(string optimizer, CheckpointPolicy? policy, out Model model)
    {
        model = ModelZoo.Create("mlp", Data.SampleShape, Data.Classes, new CpuBackend(1), new ModelOptions(3, Dropout: 0.2f));
        if (policy is null)
        {
            // The resuming run starts from other values, which the checkpoint must overwrite.
            model.Parameters.Values.Span.Fill(0.5f);
        }

        var settings = new OptimizerSettings { Name = optimizer, Lr = 0.02, MaxGradNorm = 0.5, WeightDecay = 1e-3 };
        var schedule = new ScheduleSettings { Name = "cosine", WarmupSteps = 3 }.Create(21);
        var created = settings.Create(model.Backend, model.Parameters.Values, model.Parameters.Gradients, schedule);
        return new Trainer(model, created, new TrainOptions(3, 8, Seed: 5), Data.TargetLength) { Checkpoints = policy };
    }
}
