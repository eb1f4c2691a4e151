using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class DropoutTests
{
    [Fact]
    public void TrainingGradientIsUpstreamGradientTimesMask()
    {
        const float p = 0.4f;
        var keep = 1f / (1f - p);
        var layer = Built(new Dropout(p, seed: 7), 20);
        var x = AwayFromZero(GradientCheck.Normal(new Rng(61), 1f, 3, 20));
        var dy = GradientCheck.Normal(new Rng(62), 1f, 3, 20);

        var y = layer.Forward(x, training: true).ToArray();
        var dx = layer.Backward(dy)!.ToArray();

        for (var i = 0; i < x.Length; i++)
        {
            // The mask is read back as y / x: either dropped (0) or kept and scaled by 1/(1−p).
            var mask = y[i] == 0f ? 0f : keep;
            Assert.Equal(x[i] * mask, y[i], 1e-6f);
            Assert.Equal(dy[i] * mask, dx[i]);
        }

        Assert.Contains(y, v => v == 0f);
        Assert.Contains(y, v => v != 0f);
    }

    [Fact]
    public void TrainingGradientMatchesFiniteDifferencesUnderAFixedMask()
    {
        // Dropout draws a fresh mask per Forward from (seed, call count), so every probe of the objective uses a
        // new layer with the same seed: its first call reproduces the mask the analytic gradient was taken under.
        const ulong seed = 9;
        var x = AwayFromZero(GradientCheck.Normal(new Rng(63), 1f, 2, 3, 4));
        var r = GradientCheck.Normal(new Rng(64), 1f, 2, 3, 4);
        double Objective() => GradientCheck.Dot(Built(new Dropout(0.5f, seed), 3, 4).Forward(x, training: true), r);

        var layer = Built(new Dropout(0.5f, seed), 3, 4);
        layer.Forward(x, training: true);
        var analytic = layer.Backward(r)!.ToArray();

        GradientCheck.AssertGradient(x, analytic, Objective, "dx");
    }

    [Fact]
    public void EvaluationIsTheIdentity()
    {
        var layer = Built(new Dropout(0.5f, seed: 1), 10);
        var x = GradientCheck.Normal(new Rng(65), 1f, 4, 10);
        var dy = GradientCheck.Normal(new Rng(66), 1f, 4, 10);

        Assert.Equal(x.ToArray(), layer.Forward(x, training: false).ToArray());
        Assert.Equal(dy.ToArray(), layer.Backward(dy)!.ToArray());
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void DropsAboutPAndScalesSurvivors(float p)
    {
        const int count = 200_000;
        var layer = Built(new Dropout(p, seed: 3), count);
        var x = new Tensor(1, count);
        x.Span.Fill(1f);

        var y = layer.Forward(x, training: true).ToArray();

        // The standard error of the dropped fraction is √(p(1−p)/n) ≤ 0.0012; allow about 8 of them.
        var dropped = y.Count(v => v == 0f) / (double)count;
        Assert.InRange(dropped, p - 0.01, p + 0.01);
        Assert.All(y.Where(v => v != 0f), v => Assert.Equal(1.0 / (1.0 - p), v, 1e-5));
    }

    [Fact]
    public void EachStepDrawsANewMaskAndSeedsReproduceThem()
    {
        var x = new Tensor(1, 256);
        x.Span.Fill(1f);
        var a = Built(new Dropout(0.5f, seed: 5), 256);
        var b = Built(new Dropout(0.5f, seed: 5), 256);

        a.AtBatchPosition(step: 1, firstPosition: 0);
        var first = a.Forward(x, training: true).ToArray();
        a.AtBatchPosition(step: 2, firstPosition: 0);
        var second = a.Forward(x, training: true).ToArray();

        Assert.NotEqual(first, second);
        b.AtBatchPosition(step: 2, firstPosition: 0);
        Assert.Equal(second, b.Forward(x, training: true).ToArray());
        b.AtBatchPosition(step: 1, firstPosition: 0);
        Assert.Equal(first, b.Forward(x, training: true).ToArray());
    }

    [Fact]
    public void ABatchSplitAtAnyRowDropsWhatTheWholeBatchDrops()
    {
        // Ranks and micro-batches see rows of one global batch: a row's mask depends on its position, not on who holds it.
        var whole = new Tensor(5, 64);
        whole.Span.Fill(1f);
        var layer = Built(new Dropout(0.4f, seed: 9), 64);
        layer.AtBatchPosition(step: 3, firstPosition: 0);
        var expected = layer.Forward(whole, training: true).ToArray();

        var tail = new Tensor(2, 64);
        tail.Span.Fill(1f);
        layer.AtBatchPosition(step: 3, firstPosition: 3);

        Assert.Equal(expected[(3 * 64)..], layer.Forward(tail, training: true).ToArray());
    }

    private static Dropout Built(Dropout layer, params int[] sampleShape)
    {
        layer.Build(sampleShape, new CpuBackend(1));
        return layer;
    }

    private static Tensor AwayFromZero(Tensor x)
    {
        var s = x.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = s[i] >= 0 ? s[i] + 0.1f : s[i] - 0.1f;
        }

        return x;
    }
}
