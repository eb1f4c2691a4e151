using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// GEMM, convolution and pooling. A convolution is one im2col of the whole batch, one GEMM and a permute to NCHW
/// that adds the bias; the workspace holds the columns and the channel-major GEMM output, and backward reuses the
/// forward's columns for the weight gradient before overwriting them with the input gradient's columns.
/// </summary>
public sealed partial class IlgpuBackend
{
    private IDeviceGemm _gemm = null!;
    private ConvKernels _conv = null!;
    private PoolKernels _pool = null!;

    private string GemmName => _gemm.Name;

    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm dimensions {m}x{n}x{k}");
        }

        RequireLength(a, (long)m * k, "gemm A");
        RequireLength(b, (long)k * n, "gemm B");
        RequireLength(c, (long)m * n, "gemm C");
        using var scope = Enter();
        _gemm.Multiply(_stream, transposeA, transposeB, m, n, k, alpha, View(a), View(b), beta, View(c));
    }

    public int ConvWorkspaceLength(ConvGeometry g, int outChannels, int batch)
    {
        g.Validate();
        var length = ((long)g.PatchSize + outChannels) * batch * g.OutputPlane;
        return length <= Array.MaxLength
            ? (int)Math.Max(1, length)
            : throw new ArgumentException($"a convolution workspace of {length} floats (batch {batch}) does not fit one buffer; lower the batch size");
    }

    public void Conv2dForward(Tensor x, Tensor weight, Tensor bias, Tensor y, ConvGeometry g, Tensor workspace)
    {
        var (batch, outChannels) = ConvShape(x, weight, bias, g);
        RequireLength(y, (long)batch * outChannels * g.OutputPlane, "convolution output");
        var pixels = batch * g.OutputPlane;
        using var scope = Enter();
        var (columns, rows) = ConvWorkspace(workspace, g, outChannels, batch);
        _conv.Im2Col(_stream, View(x), g, batch, columns);
        _gemm.Multiply(_stream, false, false, outChannels, pixels, g.PatchSize, 1f, View(weight), columns, 0f, rows);
        _conv.RowsToBatchAddBias(_stream, rows, View(bias), outChannels, batch, g.OutputPlane, View(y));
    }

    public void Conv2dBackward(Tensor x, Tensor weight, Tensor dy, Tensor weightGrad, Tensor biasGrad, Tensor? dx, ConvGeometry g, Tensor workspace)
    {
        var (batch, outChannels) = ConvShape(x, weight, biasGrad, g);
        RequireSameLength(weight, weightGrad, "convolution weight gradient");
        RequireLength(dy, (long)batch * outChannels * g.OutputPlane, "convolution output gradient");
        if (dx is not null)
        {
            RequireSameLength(x, dx, "convolution input gradient");
        }

        var pixels = batch * g.OutputPlane;
        using var scope = Enter();
        var (columns, rows) = ConvWorkspace(workspace, g, outChannels, batch);
        _conv.BatchToRows(_stream, View(dy), outChannels, batch, g.OutputPlane, rows);
        _gemm.Multiply(_stream, false, true, outChannels, g.PatchSize, pixels, 1f, rows, columns, 1f, View(weightGrad));
        _conv.AccumulateRowSums(_stream, rows, outChannels, pixels, View(biasGrad));
        if (dx is not null)
        {
            _gemm.Multiply(_stream, true, false, g.PatchSize, pixels, outChannels, 1f, View(weight), rows, 0f, columns);
            _conv.Col2Im(_stream, columns, g, batch, View(dx));
        }
    }

    public void MaxPoolForward(Tensor x, Tensor y, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(y, (long)planes * g.OutputPlane, "max-pool output");
        using var scope = Enter();
        _pool.MaxPoolForward(_stream, View(x), g, planes, View(y));
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(dy, (long)planes * g.OutputPlane, "max-pool output gradient");
        RequireSameLength(x, dx, "max-pool input gradient");
        using var scope = Enter();
        _pool.MaxPoolBackward(_stream, View(x), View(dy), g, planes, View(dx));
    }

    private static (int Batch, int OutChannels) ConvShape(Tensor x, Tensor weight, Tensor bias, ConvGeometry g)
    {
        g.Validate();
        var perSample = g.Channels * g.InputPlane;
        if (x.Length % perSample != 0)
        {
            throw new ArgumentException($"convolution input {x} is not a batch of {g.Channels}x{g.Height}x{g.Width} samples");
        }

        var outChannels = bias.Length;
        if ((long)outChannels * g.PatchSize != weight.Length)
        {
            throw new ArgumentException($"convolution weight {weight} is not {outChannels}x{g.Channels}x{g.KernelH}x{g.KernelW}");
        }

        return (x.Length / perSample, outChannels);
    }

    /// <summary>The workspace's im2col columns and channel-major GEMM output, as device views (no tensor objects per call).</summary>
    private (ArrayView<float> Columns, ArrayView<float> Rows) ConvWorkspace(Tensor workspace, ConvGeometry g, int outChannels, int batch)
    {
        var columns = (long)g.PatchSize * batch * g.OutputPlane;
        var rows = (long)outChannels * batch * g.OutputPlane;
        RequireLength(workspace, columns + rows, "convolution workspace");
        var view = View(workspace);
        return (view.SubView(0, columns), view.SubView(columns, rows));
    }

    private static int PoolPlanes(Tensor x, ConvGeometry g)
    {
        g.Validate();
        if (x.Length % g.InputPlane != 0)
        {
            throw new ArgumentException($"max-pool input {x} is not whole {g.Height}x{g.Width} planes");
        }

        return x.Length / g.InputPlane;
    }

    private void LoadLayers(IlgpuGemmChoice choice)
    {
        _gemm = choice switch
        {
            IlgpuGemmChoice.Tiled => new TiledGemm(_accelerator),
            IlgpuGemmChoice.CuBlas => CuBlasGemm.TryCreate(_accelerator, out var why) ?? throw new InvalidOperationException($"cuBLAS is not available: {why}"),
            _ => (IDeviceGemm?)CuBlasGemm.TryCreate(_accelerator, out _) ?? new TiledGemm(_accelerator),
        };
        _conv = new ConvKernels(_accelerator);
        _pool = new PoolKernels(_accelerator);
    }

    private void DisposeLayers() => _gemm.Dispose();
}
