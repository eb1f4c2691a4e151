using System.Collections.Concurrent;
using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// `train --workers N` (real processes, real gRPC) reaches the parameters a single process reaches on the same
/// global batches, for every optimizer and ZeRO stage. 2 epochs of 3 steps, uneven shards (32 samples over 3 ranks).
/// RMSProp runs at a lower rate: its first step moves every weight by about ±10·lr whatever the gradient's size, so
/// a near-zero gradient whose sign is decided by summation order (N partial sums versus one) moves by 10·lr either way.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class EquivalenceTests
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<float[]>>> References = new();

    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var optimizer in new[] { "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw" })
        {
            foreach (var zero in new[] { 0, 1, 2 })
            {
                foreach (var n in new[] { 1, 2, 3 })
                {
                    data.Add(optimizer, zero, n);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WorkersMatchOneProcess(string optimizer, int zero, int n)
    {
        var reference = await References.GetOrAdd(optimizer, o => new Lazy<Task<float[]>>(() => Train(o, null))).Value;

        var distributed = await Train(optimizer, ["--workers", $"{n}", "--zero", $"{zero}", "--bucket-mb", "0.2", "--chunk-kb", "16"]);

        double diff = 0, norm = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            diff += Math.Pow(distributed[i] - reference[i], 2);
            norm += Math.Pow(reference[i], 2);
        }

        var relative = Math.Sqrt(diff / norm);
        Assert.True(relative <= 1e-5, $"{optimizer}, ZeRO {zero}, {n} workers: relative error {relative:E2}");
    }

    private static async Task<float[]> Train(string optimizer, string[]? distributed)
    {
        using var dir = new TempDirectory();
        var save = dir.File("eq.bin");
        string[] args = ["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "96", "--batch-size", "32", "--epochs", "2",
            "--optimizer", optimizer, "--lr", optimizer == "rmsprop" ? "0.001" : "0.01", "--weight-decay", "0.001", "--threads", "1", "--save", save, .. distributed ?? []];
        var (code, stdout, stderr) = await ProgramRun.RunAsync(args, TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return ParameterFile.Read(save);
    }
}
