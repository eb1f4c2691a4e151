using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// `train --workers N` through the real command line, processes and gRPC reaches the parameters a single-process
/// `train` reaches on the same global batches. The matrix of every optimizer, ZeRO stage and world size runs in
/// process (Core.Tests, DataParallelEquivalenceTests); these two jobs show the processes agree with it. 100 samples
/// in batches of 31 make steps of 31, 31, 31 and 7, split unevenly over 2 ranks (16/15, 4/3) and 3 (11/10/10, 3/2/2),
/// over 2 epochs, one job with its ring over gRPC, one over shared memory. The match is within 1e-5, not bitwise: N partial sums are added in another order than one.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class EquivalenceTests
{
    private static readonly Lazy<Task<float[]>> Reference = new(() => Train(null));

    [Theory]
    [InlineData(2, "grpc")]
    [InlineData(3, "shm")]
    public async Task WorkersUnderZeroTwoMatchOneProcess(int workers, string transport)
    {
        var reference = await Reference.Value;

        var distributed = await Train(["--workers", $"{workers}", "--zero", "2", "--bucket-mb", "0.2", "--chunk-kb", "16", "--transport", transport]);

        double diff = 0, norm = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            diff += Math.Pow(distributed[i] - reference[i], 2);
            norm += Math.Pow(reference[i], 2);
        }

        var relative = Math.Sqrt(diff / norm);
        Assert.True(relative <= 1e-5, $"{workers} workers: relative error {relative:E2}");
    }

    private static async Task<float[]> Train(string[]? distributed)
    {
        using var dir = new TempDirectory();
        var save = dir.File("parameters.bin");
        string[] args = ["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "100", "--batch-size", "31", "--epochs", "2",
            "--optimizer", "adam", "--lr", "0.01", "--weight-decay", "0.001", "--threads", "1", "--save", save, .. distributed ?? []];
        var (code, stdout, stderr) = await ProgramRun.RunAsync(args, TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return ParameterFile.Read(save);
    }
}
