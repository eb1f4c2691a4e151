using Distributed.Core.Data;

namespace Distributed.Core.Tests.Data;

public sealed class SyntheticDataTests
{
    [Fact]
    public void SameSeedGivesIdenticalData()
    {
        var a = SyntheticData.Create([2, 3], classes: 5, count: 40, seed: 11);
        var b = SyntheticData.Create([2, 3], classes: 5, count: 40, seed: 11);

        Assert.Equal(a.Features, b.Features);
        Assert.Equal(a.Targets, b.Targets);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentData()
    {
        var a = SyntheticData.Create([4], classes: 3, count: 10, seed: 1);
        var b = SyntheticData.Create([4], classes: 3, count: 10, seed: 2);

        Assert.NotEqual(a.Features, b.Features);
    }

    [Fact]
    public void ClassificationHasTheShapeAndLabelsAsked()
    {
        var data = SyntheticData.Create([1, 4, 4], classes: 7, count: 2000, seed: 5);

        Assert.Equal([1, 4, 4], data.SampleShape);
        Assert.Equal(2000, data.Count);
        Assert.Equal(7, data.Classes);
        Assert.Equal(2000 * 16, data.Features.Length);
        Assert.All(data.Targets, t => Assert.True(t == MathF.Floor(t) && t >= 0 && t < 7));
        Assert.Equal(7, data.Targets.Distinct().Count());

        // Standard normal features: mean near 0, variance near 1 over 32,000 draws.
        var mean = data.Features.Average();
        var variance = data.Features.Average(f => (f - mean) * (f - mean));
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(variance, 0.95, 1.05);
    }

    [Fact]
    public void RegressionTargetsAreOneLinearFunctionOfTheFeatures()
    {
        var data = SyntheticData.Create([2], classes: 0, count: 30, seed: 8);
        Assert.Equal(0, data.Classes);

        // Solve for the two weights from the first two samples, then every other sample must agree.
        var x = data.Features;
        var t = data.Targets;
        var det = (x[0] * x[3]) - (x[1] * x[2]);
        var w0 = ((t[0] * x[3]) - (x[1] * t[1])) / det;
        var w1 = ((x[0] * t[1]) - (t[0] * x[2])) / det;
        for (var i = 2; i < data.Count; i++)
        {
            Assert.Equal(t[i], (w0 * x[2 * i]) + (w1 * x[(2 * i) + 1]), 3);
        }
    }

    [Fact]
    public void FeaturesDoNotDependOnTheNumberOfClasses()
    {
        var regression = SyntheticData.Create([3], classes: 0, count: 5, seed: 4);
        var classification = SyntheticData.Create([3], classes: 10, count: 5, seed: 4);

        Assert.Equal(regression.Features, classification.Features);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Create([0], 2, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Create([], 2, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Create([2], -1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticData.Create([2], 2, 0, 1));
    }
}
