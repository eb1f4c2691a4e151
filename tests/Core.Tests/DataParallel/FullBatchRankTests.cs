using Distributed.Core.Collectives;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.FullBatch;
using Distributed.Core.Models;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.DataParallel;

/// <summary>
/// N ranks of a full-batch method on the in-process ring follow the iterates of one process to double precision:
/// each rank computes whole chunks of the set as one process computes them, every evaluation of f and ∇f (and every
/// Hessian-vector product) is summed exactly over the ranks, so every rank's line search decides on the same values
/// as one process's. 110 samples in chunks of 16: 7 chunks, split 4/3, 3/2/2 among ranks.
/// </summary>
public class FullBatchRankTests
{
    private const int Iterations = 6;
    private const int Chunk = 16;
    private static readonly Dataset Data = SyntheticData.Create([20], classes: 5, count: 110, seed: 9);

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var method in FullBatchMinimizer.Names)
        {
            foreach (var n in new[] { 1, 2, 3 })
            {
                data.Add(method, n);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task NRanksFollowTheIteratesOfOneProcess(string method, int n)
    {
        var settings = new FullBatchSettings(method, new FullBatchOptions(), WeightDecay: 1e-2);
        var (referenceIterates, referenceLosses) = SingleProcess(settings);

        var ranks = await Distributed(settings, n);

        for (var k = 0; k < Iterations; k++)
        {
            Assert.True(Math.Abs(ranks[0].Losses[k] - referenceLosses[k]) <= 1e-12, $"{method} N {n} iteration {k + 1}: loss {ranks[0].Losses[k]:R} vs {referenceLosses[k]:R}");
            var error = RelativeError(ranks[0].Iterates[k], referenceIterates[k]);
            Assert.True(error <= 1e-6, $"{method} N {n} iteration {k + 1}: ‖Δθ‖/‖θ‖ = {error:E2}");
            foreach (var other in ranks.Skip(1))
            {
                Assert.True(other.Iterates[k].AsSpan().SequenceEqual(ranks[0].Iterates[k]), "ranks disagree");
            }
        }

        Assert.True(referenceLosses[^1] < referenceLosses[0] * 0.5, "the method made no progress: the comparison proves little");
    }

    private static (List<float[]> Iterates, List<double> Losses) SingleProcess(FullBatchSettings settings)
    {
        var model = Build();
        var minimizer = settings.Create(new ModelObjective(model, Data, Chunk), Parameters.Read(model));
        var iterates = new List<float[]>();
        var losses = new List<double>();
        for (var k = 0; k < Iterations; k++)
        {
            losses.Add(minimizer.StepAsync().GetAwaiter().GetResult().Loss);
            iterates.Add(Array.ConvertAll(minimizer.X, v => (float)v));
        }

        return (iterates, losses);
    }

    private static async Task<(List<float[]> Iterates, List<double> Losses)[]> Distributed(FullBatchSettings settings, int n)
    {
        var transports = InProcessRing.Create(n);
        var results = new (List<float[]>, List<double>)[n];
        await Task.WhenAll(Enumerable.Range(0, n).Select(r => Task.Run(async () =>
        {
            var model = Build();
            var rank = new FullBatchRank(model, settings, new RingCollectives(transports[r], 64, TimeSpan.FromSeconds(30)), Data, Chunk);
            var plan = new BatchPlan(Data.Count, Data.Count, 5);
            var iterates = new List<float[]>();
            var losses = new List<double>();
            for (var k = 1; k <= Iterations; k++)
            {
                // As the coordinator hands them out: whole chunks in sample order, given here shuffled.
                plan.BeginEpoch(k);
                var (start, count) = FullBatchShards.Of(Data.Count, r, n, Chunk);
                var mine = plan.Batch(0).ToArray().Where(i => i >= start && i < start + count).ToArray();
                var result = await rank.StepAsync(mine, Data.Count, k, CancellationToken.None);
                losses.Add(result.Report.Loss);
                iterates.Add(model.Parameters.Values.Span.ToArray());
            }

            results[r] = (iterates, losses);
        })));
        return results;
    }

    /// <summary>‖a − b‖ / ‖b‖.</summary>
    private static double RelativeError(float[] actual, float[] expected)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        return Math.Sqrt(diff / norm);
    }

    private static Model Build() => ModelZoo.Create("logreg", Data.SampleShape, Data.Classes, new CpuBackend(1), new ModelOptions(3));
}
