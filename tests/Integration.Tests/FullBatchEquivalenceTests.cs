using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// `train --optimizer lbfgs --workers 3` through the real command line, processes and gRPC follows the iterates of
/// a single-process run: every evaluation of the line search is all-reduced, so the ranks decide alike. The N = 1,
/// 2, 3 matrix for every method runs in process (Core.Tests, FullBatchRankTests); this job shows the processes agree.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class FullBatchEquivalenceTests
{
    [Fact]
    public async Task ThreeWorkersFollowOneProcess()
    {
        var reference = await Train(null);

        var distributed = await Train(["--workers", "3", "--chunk-kb", "16"]);

        double diff = 0, norm = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            diff += Math.Pow(distributed[i] - reference[i], 2);
            norm += Math.Pow(reference[i], 2);
        }

        var relative = Math.Sqrt(diff / norm);
        Assert.True(relative <= 1e-6, $"relative error {relative:E2}");
    }

    private static async Task<float[]> Train(string[]? distributed)
    {
        using var dir = new TempDirectory();
        var save = dir.File("parameters.bin");
        string[] args = ["train", "--model", "logreg", "--data", "synthetic", "--synthetic-samples", "100", "--epochs", "6",
            "--optimizer", "lbfgs", "--weight-decay", "0.01", "--threads", "1", "--save", save, .. distributed ?? []];
        var (code, stdout, stderr) = await ProgramRun.RunAsync(args, TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return ParameterFile.Read(save);
    }
}
