using System.CommandLine;
using Distributed.Coordinator.Cli;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;

namespace Distributed.Coordinator.Tests.Cli.Options;

public class TrainOptionsSetTests
{
    [Fact]
    public void NoFlagsReadAsTheDefaults()
    {
        var o = new TrainOptionsSet();

        Assert.Equal(new TrainSettings(), o.Read(Parse(o, [])));
        Assert.Empty(o.WorkerArguments(new TrainSettings()));
    }

    [Fact]
    public void AWorkersArgumentsReadBackAsTheSameSettings()
    {
        var o = new TrainOptionsSet();
        var settings = new TrainSettings
        {
            Model = "cnn", Data = "synthetic", SyntheticSamples = 300, Dropout = 0.25f, Init = "xavier", Epochs = 3, BatchSize = 17, Seed = 42,
            Threads = 2, Device = "cpu", Zero = 2, BucketMb = 0.1, ChunkKb = 3, PeerTimeoutSeconds = 12.5, JoinTimeoutSeconds = 7, Save = "/tmp/p.bin",
            Optimizer = new OptimizerSettings { Name = "rmsprop", Lr = 0.1 / 3, Momentum = 0.9, Alpha = 0.95, Centered = true, Epsilon = 1e-7, MaxGradNorm = 1, WeightDecay = 1e-4, L1 = 1e-5 },
            Schedule = new ScheduleSettings { Name = "cosine", MinLr = 1e-6, WarmupSteps = 5 },
        };

        var arguments = o.WorkerArguments(settings).ToArray();

        Assert.Equal(settings, o.Read(Parse(o, arguments)));
    }

    [Theory]
    [InlineData(null, "adam", 2)]
    [InlineData(null, "sgd", 2)]
    [InlineData(null, "lbfgs", 0)]
    [InlineData(null, "newton", 0)]
    [InlineData(0, "adam", 0)]
    [InlineData(1, "adam", 1)]
    [InlineData(0, "cg", 0)]
    public void WithoutZeroTheFirstOrderOptimizersRunStageTwoAndTheFullBatchMethodsStageZero(int? zero, string optimizer, int stage)
    {
        var o = new TrainOptionsSet();
        var settings = o.Read(Parse(o, zero is null ? ["--optimizer", optimizer] : ["--optimizer", optimizer, "--zero", $"{zero}"]));

        Assert.Equal(zero, settings.Zero);
        Assert.Equal(stage, settings.EffectiveZero);

        // A worker is told only what was asked for, and reaches the same stage by the same rule.
        Assert.Equal(stage, o.Read(Parse(o, [.. o.WorkerArguments(settings)])).EffectiveZero);
    }

    [Fact]
    public void AWorkerIsNeverGivenThisProcesssOutputFiles()
    {
        var o = new TrainOptionsSet();

        var arguments = o.WorkerArguments(new TrainSettings { Out = "metrics", Json = "run.json", MetricsFormat = "jsonl", Epochs = 2 });

        Assert.Equal(["--epochs", "2"], arguments);
    }

    private static ParseResult Parse(TrainOptionsSet o, string[] args)
    {
        var command = new RootCommand();
        foreach (var option in o.All)
        {
            command.Add(option);
        }

        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        return parsed;
    }
}
