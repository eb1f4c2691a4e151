using System.Text.Json;
using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// `train --optimizer lbfgs --workers 3` through the real command line, processes and gRPC follows the iterates of
/// a single-process run: every evaluation of the line search is summed exactly over the ranks (3,000 samples: one chunk
/// of 1,024 forward passes each), so the ranks decide alike. The N = 1,
/// 2, 3 matrix for every method runs in process (Core.Tests, FullBatchRankTests); this job shows the processes agree.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class FullBatchEquivalenceTests
{
    [Fact]
    public async Task ThreeWorkersFollowOneProcess()
    {
        var (reference, referenceLoss) = await Train(null);

        var (distributed, loss) = await Train(["--workers", "3", "--chunk-kb", "16"]);

        double diff = 0, norm = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            diff += Math.Pow(distributed[i] - reference[i], 2);
            norm += Math.Pow(reference[i], 2);
        }

        var relative = Math.Sqrt(diff / norm);
        Assert.True(relative <= 1e-6, $"relative error {relative:E2}");

        // Every rank reports the whole set's loss: the coordinator takes one, it does not add three.
        Assert.Equal(referenceLoss, loss, 1e-6);
    }

    private static async Task<(float[] Parameters, double FinalLoss)> Train(string[]? distributed)
    {
        using var dir = new TempDirectory();
        var save = dir.File("parameters.bin");
        var json = dir.File("summary.json");
        string[] args = ["train", "--model", "logreg", "--data", "synthetic", "--synthetic-samples", "3000", "--epochs", "6",
            "--optimizer", "lbfgs", "--weight-decay", "0.01", "--threads", "1", "--save", save, "--json", json, .. distributed ?? []];
        var (code, stdout, stderr) = await ProgramRun.RunAsync(args, TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        return (ParameterFile.Read(save), summary.RootElement.GetProperty("final_loss").GetDouble());
    }
}
