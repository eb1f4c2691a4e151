using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute;

/// <summary>MaxPoolForward/Backward against the naive window scan, written once for any backend.</summary>
public abstract class PoolTests
{
    /// <summary>planes (batch·channels), height, width, kernel, stride.</summary>
    public static TheoryData<int, int, int, int, int> Geometries => new()
    {
        { 4, 6, 8, 2, 2 },
        { 3, 5, 7, 2, 2 },
        { 2, 7, 9, 3, 2 },
        { 2, 5, 6, 2, 1 },
        { 6, 3, 5, 3, 3 },
        { 1, 1, 1, 1, 1 },
        { 3, 4, 36, 2, 2 },
        { 2, 5, 35, 2, 2 },
    };

    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MatchesNaiveOnDistinctValues(int planes, int height, int width, int kernel, int stride) =>
        AssertMatchesReference(planes, height, width, kernel, stride, GradientCheck.Normal(new Rng(1), 1f, planes * height * width));

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MatchesNaiveWithTiesRoutingToTheFirstMaximum(int planes, int height, int width, int kernel, int stride)
    {
        // Values from {0, 1, 2}: most windows hold several equal maxima.
        var rng = new Rng(2);
        var x = new Tensor(planes * height * width);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextInt(3);
        }

        AssertMatchesReference(planes, height, width, kernel, stride, x);
    }

    [Fact]
    public void TiedWindowSendsItsWholeGradientToTheFirstElement()
    {
        var g = new ConvGeometry(1, 2, 2, 2, 2, 2, 0);
        var dx = new Tensor(4);

        CreateBackend().MaxPoolBackward(Tensor.FromArray([5, 5, 5, 5], 4), Tensor.FromArray([1], 1), dx, g);

        Assert.Equal([1, 0, 0, 0], dx.ToArray());
    }

    [Fact]
    public void ANaNInAWideRowOnlyAffectsItsOwnWindow()
    {
        // Rows wide enough for the vectorised path (8 windows at a time): a NaN in one group sends that group to
        // the scalar rule, and every other window still routes to its first maximum.
        var g = new ConvGeometry(1, 2, 40, 2, 2, 2, 0);
        var x = GradientCheck.Normal(new Rng(4), 1f, 80);
        x[21] = float.NaN;
        var y = new Tensor(g.OutputPlane);
        var dy = GradientCheck.Normal(new Rng(5), 1f, g.OutputPlane);
        var dx = new Tensor(80);
        var backend = CreateBackend();

        backend.MaxPoolForward(x, y, g);
        backend.MaxPoolBackward(x, dy, dx, g);

        Assert.True(float.IsNaN(y[10]));
        Assert.Equal(dy[10], dx[21]);
        for (var w = 0; w < 20; w++)
        {
            if (w == 10)
            {
                continue;
            }

            var window = new[] { 2 * w, (2 * w) + 1, 40 + (2 * w), 41 + (2 * w) };
            var best = window.OrderByDescending(i => x[i]).ThenBy(i => i).First();
            Assert.Equal(x[best], y[w]);
            Assert.All(window, i => Assert.Equal(i == best ? dy[w] : 0f, dx[i]));
        }
    }

    [Theory]
    [InlineData(2, new float[] { 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0 })]
    [InlineData(3, new float[] { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })]
    public void ANaNInTheWindowIsTheMaximumAndTakesTheGradient(int kernel, float[] expectedDx)
    {
        // PyTorch propagates NaN through max pooling, and the first NaN is the element that receives the gradient.
        // Rows of the 3×4 plane: [1 9 2 3] [NaN 4 NaN 5] [6 7 8 0].
        var g = new ConvGeometry(1, 3, 4, kernel, kernel, 2, 0);
        var x = Tensor.FromArray([1, 9, 2, 3, float.NaN, 4, float.NaN, 5, 6, 7, 8, 0], 12);
        var y = new Tensor(g.OutputPlane);
        var dy = new Tensor(g.OutputPlane);
        dy.Span.Fill(1f);
        var dx = new Tensor(12);
        var backend = CreateBackend();

        backend.MaxPoolForward(x, y, g);
        backend.MaxPoolBackward(x, dy, dx, g);

        Assert.All(y.ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.Equal(expectedDx, dx.ToArray());
    }

    [Fact]
    public void PaddingIsRejected()
    {
        var g = new ConvGeometry(1, 4, 4, 2, 2, 2, 1);

        Assert.Throws<ArgumentException>(() => CreateBackend().MaxPoolForward(new Tensor(16), new Tensor(9), g));
    }

    private void AssertMatchesReference(int planes, int height, int width, int kernel, int stride, Tensor x)
    {
        // Channels 1 with planes samples: the kernel treats every (sample, channel) plane alike.
        var g = new ConvGeometry(1, height, width, kernel, kernel, stride, 0);
        var backend = CreateBackend();
        var y = new Tensor(planes * g.OutputPlane);
        var dy = GradientCheck.Normal(new Rng(3), 1f, planes * g.OutputPlane);
        var dx = new Tensor(x.Length);
        dx.Span.Fill(float.NaN);

        backend.MaxPoolForward(x, y, g);
        backend.MaxPoolBackward(x, dy, dx, g);

        Assert.Equal(ReferenceKernels.MaxPoolForward(x.ToArray(), g), y.ToArray());
        var expected = ReferenceKernels.MaxPoolBackward(x.ToArray(), dy.ToArray(), g);
        for (var i = 0; i < expected.Length; i++)
        {
            // Overlapping windows add up to ⌈k/s⌉² float terms: 1e-6 covers their rounding.
            Assert.True(Math.Abs(dx[i] - expected[i]) <= 1e-6, $"dx[{i}] = {dx[i]}, expected {expected[i]}");
        }
    }
}
