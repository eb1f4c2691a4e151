using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute;

/// <summary>Conv2dForward/Backward against the direct convolution, written once for any backend.</summary>
public abstract class ConvTests
{
    // Each output sums at most C·K² ≈ 75 products of N(0,1) values; 1e-4 absolute is ~100× float32 rounding there.
    private const double Tolerance = 1e-4;

    /// <summary>batch, channels, height, width, out channels, kernel, stride, padding.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int> Geometries => new()
    {
        { 2, 2, 5, 7, 3, 3, 2, 1 },
        { 2, 2, 5, 7, 3, 3, 1, 0 },
        { 1, 1, 4, 4, 1, 1, 1, 0 },
        { 3, 3, 6, 5, 4, 3, 1, 1 },
        { 2, 2, 7, 6, 2, 2, 2, 0 },
        { 1, 2, 5, 5, 3, 5, 1, 2 },
        { 2, 1, 9, 4, 2, 3, 3, 1 },
        { 1, 3, 8, 8, 5, 4, 2, 1 },
    };

    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ForwardMatchesDirectConvolution(int batch, int channels, int height, int width, int cout, int kernel, int stride, int padding)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, stride, padding);
        var (x, w, bias) = Inputs(g, batch, cout, seed: 1);
        var backend = CreateBackend();
        var y = new Tensor(batch, cout, g.OutHeight, g.OutWidth);
        y.Span.Fill(float.NaN);

        backend.Conv2dForward(x, w, bias, y, g, new Tensor(backend.ConvWorkspaceLength(g, cout, batch)));

        AssertClose(ReferenceKernels.Conv2dForward(x.ToArray(), w.ToArray(), bias.ToArray(), g, batch, cout), y.ToArray(), "y");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void BackwardMatchesDirectConvolution(int batch, int channels, int height, int width, int cout, int kernel, int stride, int padding)
    {
        var g = new ConvGeometry(channels, height, width, kernel, kernel, stride, padding);
        var (x, w, bias) = Inputs(g, batch, cout, seed: 2);
        var rng = new Rng(3);
        var dy = GradientCheck.Normal(rng, 1f, batch, cout, g.OutHeight, g.OutWidth);
        var weightGrad = GradientCheck.Normal(rng, 1f, w.Length);
        var biasGrad = GradientCheck.Normal(rng, 1f, cout);
        var initialWeightGrad = weightGrad.ToArray();
        var initialBiasGrad = biasGrad.ToArray();
        var dx = new Tensor(x.Length);
        dx.Span.Fill(float.NaN);
        var backend = CreateBackend();
        var workspace = new Tensor(backend.ConvWorkspaceLength(g, cout, batch));
        var y = new Tensor(batch * cout * g.OutputPlane);

        // Backward reads the forward's im2col from the workspace, as the layer arranges.
        backend.Conv2dForward(x, w, bias, y, g, workspace);
        backend.Conv2dBackward(x, w, dy, weightGrad, biasGrad, dx, g, workspace);

        var (dw, db, dxExpected) = ReferenceKernels.Conv2dBackward(x.ToArray(), w.ToArray(), dy.ToArray(), g, batch, cout);
        AssertClose(dw.Select((v, i) => v + initialWeightGrad[i]).ToArray(), weightGrad.ToArray(), "weight gradient (accumulated)");
        AssertClose(db.Select((v, i) => v + initialBiasGrad[i]).ToArray(), biasGrad.ToArray(), "bias gradient (accumulated)");
        AssertClose(dxExpected, dx.ToArray(), "input gradient (overwritten)");
    }

    [Fact]
    public void BackwardWithoutInputGradientStillAccumulatesParameterGradients()
    {
        var g = new ConvGeometry(2, 5, 7, 3, 3, 2, 1);
        const int batch = 2, cout = 3;
        var (x, w, bias) = Inputs(g, batch, cout, seed: 4);
        var dy = GradientCheck.Normal(new Rng(5), 1f, batch, cout, g.OutHeight, g.OutWidth);
        var weightGrad = new Tensor(w.Length);
        var biasGrad = new Tensor(cout);
        var backend = CreateBackend();
        var workspace = new Tensor(backend.ConvWorkspaceLength(g, cout, batch));

        backend.Conv2dForward(x, w, bias, new Tensor(batch * cout * g.OutputPlane), g, workspace);
        backend.Conv2dBackward(x, w, dy, weightGrad, biasGrad, null, g, workspace);

        var (dw, db, _) = ReferenceKernels.Conv2dBackward(x.ToArray(), w.ToArray(), dy.ToArray(), g, batch, cout);
        AssertClose(dw, weightGrad.ToArray(), "weight gradient");
        AssertClose(db, biasGrad.ToArray(), "bias gradient");
    }

    protected static (Tensor X, Tensor Weight, Tensor Bias) Inputs(ConvGeometry g, int batch, int cout, ulong seed)
    {
        var rng = new Rng(seed);
        return (
            GradientCheck.Normal(rng, 1f, batch, g.Channels, g.Height, g.Width),
            GradientCheck.Normal(rng, 1f, cout, g.Channels, g.KernelH, g.KernelW),
            GradientCheck.Normal(rng, 1f, cout));
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerance, $"{what}[{i}] = {actual[i]:G9}, expected {expected[i]:G9}");
        }
    }
}
