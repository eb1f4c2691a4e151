using System.Globalization;
using Distributed.Coordinator.Cli;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Tests.Sweeps;

public class SamplersTests
{
    private static ParameterSpec[] Specs(params string[] texts) => [.. texts.Select(ParameterSpec.Parse)];

    [Fact]
    public void GridVisitsExactlyItsProduct()
    {
        var grid = Sampler.Create("grid", Specs("optimizer=[sgd,adam,adamw]", "batch-size=[32,64]", "epochs=1..2"), trials: null, seed: 0);

        var trials = Enumerable.Range(0, grid.Count).Select(i => string.Join(' ', grid.Trial(i).Select(v => v.Value))).ToArray();

        Assert.Equal(12, grid.Count);
        Assert.Equal(12, trials.Distinct().Count());
        var product = from o in new[] { "sgd", "adam", "adamw" } from b in new[] { "32", "64" } from e in new[] { "1", "2" } select $"{o} {b} {e}";
        Assert.Equal(product, trials); // the first parameter varies slowest
    }

    [Fact]
    public void GridRefusesFloatRangesAndTrials()
    {
        Assert.Contains("cannot enumerate", Assert.Throws<UsageException>(() => Sampler.Create("grid", Specs("lr=log(1e-4,1e-1)"), null, 0)).Message);
        Assert.Contains("--trials", Assert.Throws<UsageException>(() => Sampler.Create("grid", Specs("lr=[0.1]"), 5, 0)).Message);
        Assert.Contains("unknown sampler", Assert.Throws<UsageException>(() => Sampler.Create("tpe", Specs("lr=[0.1]"), null, 0)).Message);
    }

    [Fact]
    public void RandomIsReproducibleForASeedAndDiffersAcrossSeeds()
    {
        var specs = Specs("lr=log(1e-5,1)", "optimizer=[sgd,adam]", "batch-size=16..256", "dropout=uniform(0,0.5)");
        string Draw(int seed) => string.Join(';', Enumerable.Range(0, 20).Select(i => string.Join(' ', Sampler.Create("random", specs, 20, seed).Trial(i).Select(v => v.Value))));

        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
        Assert.Equal(20, Sampler.Create("random", specs, 20, 7).Count);
    }

    [Fact]
    public void RandomRespectsBoundsAndTheLogScale()
    {
        var sampler = Sampler.Create("random", Specs("lr=log(1e-5,1)", "dropout=uniform(0.1,0.5)", "batch-size=16..20"), 2000, 3);
        var lr = new List<double>();
        for (var i = 0; i < sampler.Count; i++)
        {
            var t = sampler.Trial(i).ToDictionary();
            lr.Add(double.Parse(t["lr"], CultureInfo.InvariantCulture));
            Assert.InRange(double.Parse(t["dropout"], CultureInfo.InvariantCulture), 0.1, 0.5);
            Assert.InRange(int.Parse(t["batch-size"], CultureInfo.InvariantCulture), 16, 20);
        }

        Assert.All(lr, v => Assert.InRange(v, 1e-5, 1));

        // Log-uniform: each of the five decades gets about a fifth of the draws (uniform would put 90% in the top one).
        var decades = lr.GroupBy(v => (int)Math.Floor(Math.Log10(v))).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([-5, -4, -3, -2, -1], decades.Keys.Order());
        Assert.All(decades.Values, n => Assert.InRange(n, 300, 500));
    }

    [Fact]
    public void NeighbouringTrialsAreNotCorrelated()
    {
        // A per-trial System.Random made the learning rate rise with the trial index; draws must look independent.
        var sampler = Sampler.Create("random", Specs("dropout=uniform(0,1)"), 1000, 1);
        var u = Enumerable.Range(0, sampler.Count).Select(i => double.Parse(sampler.Trial(i)[0].Value, CultureInfo.InvariantCulture)).ToArray();
        var mean = u.Average();
        var lag1 = Enumerable.Range(0, u.Length - 1).Sum(i => (u[i] - mean) * (u[i + 1] - mean)) / u.Sum(v => (v - mean) * (v - mean));
        Assert.InRange(lag1, -0.1, 0.1);
    }
}
