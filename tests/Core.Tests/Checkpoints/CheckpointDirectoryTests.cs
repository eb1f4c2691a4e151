using Distributed.Core.Checkpoints;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Training;
using Distributed.Tests.Shared;

namespace Distributed.Core.Tests.Checkpoints;

/// <summary>A damaged checkpoint is found before anything is loaded, named in one line, and the one before it is used.</summary>
public class CheckpointDirectoryTests
{
    private static readonly Dataset Data = SyntheticData.Create([6], classes: 3, count: 40, seed: 1);

    [Fact]
    public void AFlippedByteInAShardIsNamedAndThePreviousCheckpointIsUsed()
    {
        using var temp = new TempDirectory();
        Train(temp.Path);
        var newest = CheckpointDirectory.ForStep(temp.Path, 10);
        var shard = Directory.GetFiles(newest, "rank-*").Single();
        var bytes = File.ReadAllBytes(shard);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(shard, bytes);
        var log = new StringWriter();

        var chosen = CheckpointDirectory.Resolve(temp.Path, log);

        Assert.Equal(CheckpointDirectory.ForStep(temp.Path, 8), chosen.Directory);
        Assert.Contains($"checkpoint {newest} is not usable", log.ToString());
        Assert.Contains("SHA-256 differs", log.ToString());
        Assert.Single(log.ToString().Trim().Split('\n'));
    }

    [Fact]
    public void ATruncatedShardOrAMissingManifestIsNoCheckpointAndAskingForItFallsBackToAnOlderOne()
    {
        using var temp = new TempDirectory();
        Train(temp.Path);
        var newest = CheckpointDirectory.ForStep(temp.Path, 10);
        var shard = Directory.GetFiles(newest, "rank-*").Single();
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..100]);
        File.Delete(Path.Combine(CheckpointDirectory.ForStep(temp.Path, 8), CheckpointManifest.FileName));
        var log = new StringWriter();

        var chosen = CheckpointDirectory.Resolve(newest, log);

        Assert.Equal(CheckpointDirectory.ForStep(temp.Path, 4), chosen.Directory);
        Assert.Contains("truncated", log.ToString());
        Assert.Contains("no manifest.json", log.ToString());
    }

    [Fact]
    public void NoIntactCheckpointIsAOneLineError()
    {
        using var temp = new TempDirectory();
        Train(temp.Path);
        foreach (var manifest in Directory.GetFiles(temp.Path, CheckpointManifest.FileName, SearchOption.AllDirectories))
        {
            File.WriteAllText(manifest, "{ not json");
        }

        var error = Assert.Throws<DataFormatException>(() => CheckpointDirectory.Resolve(temp.Path, TextWriter.Null));
        Assert.Equal($"--resume {temp.Path}: no intact checkpoint there", error.Message);
        Assert.Throws<DataFormatException>(() => CheckpointDirectory.Resolve(Path.Combine(temp.Path, "missing"), TextWriter.Null));
    }

    [Theory]
    [InlineData("model=mlp; dropout=0; epochs=9; zero=2; device=cpu", null)]
    [InlineData("model=cnn; dropout=0; epochs=3; zero=0; device=auto", "model was 'mlp' there and is 'cnn' now")]
    [InlineData("model=mlp; dropout=0.5; epochs=3; zero=0; device=auto", "dropout was '0' there and is '0.5' now")]
    [InlineData("model=mlp; dropout=0; epochs=3; zero=0; device=auto; seed=2", "it was written without 'seed', which this run sets")]
    public void ResumeRefusesAnotherModelOrDataNamingTheFirstDifference(string now, string? refusal)
    {
        var manifest = Manifest("model=mlp; dropout=0; epochs=3; zero=0; device=auto");

        var error = Record.Exception(() => CheckpointResume.CheckCompatible("ck", manifest, now));

        Assert.Equal(refusal, error is null ? null : Assert.IsType<DataFormatException>(error).Message.Split(": ", 2)[1]);
    }

    /// <summary>One epoch of ten steps of 4 samples, with checkpoints after steps 4, 8 and 10 (the epoch's end).</summary>
    private static void Train(string root)
    {
        var model = ModelZoo.Create("mlp", Data.SampleShape, Data.Classes, new CpuBackend(1), new ModelOptions(2));
        var optimizer = new OptimizerSettings { Name = "momentum", Lr = 0.05 }.Create(model.Backend, model.Parameters.Values, model.Parameters.Gradients, null);
        var trainer = new Trainer(model, optimizer, new TrainOptions(1, 4, 1), Data.TargetLength) { Checkpoints = new CheckpointPolicy(root, Every: 4, Keep: 10, "model=mlp") };
        trainer.Fit(Data, null);
    }

    private static CheckpointManifest Manifest(string config) => new()
    {
        Config = config,
        ParameterCount = 0,
        ParameterChecksum = 0,
        Step = 1,
        OptimizerSteps = 1,
        Epoch = 1,
        BatchesDone = 1,
        WorldSize = 1,
        ZeroStage = 0,
        Optimizer = "sgd",
        State = [],
        Shards = [],
    };
}
