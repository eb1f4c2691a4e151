using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// C += alpha · op(A) · op(B), in the GotoBLAS/BLIS structure: pack both operands into micro-kernel order (one
/// parallel region), then walk C in tiles (a second region). Within a task, a block of B panels (kc × NcColumns)
/// stays in L2 while blocks of A panels (McRows × kc) stream past it, and each kc step of a B panel sits in L1
/// while the kernel runs down the A panels. k is cut into nearly equal blocks of at most KcMax.
///
/// Every C element is computed by the same tile with the same k blocks whatever the thread count (the split
/// only decides which thread runs a tile), so results are bitwise identical on 1 or 16 threads.
/// </summary>
internal sealed class CpuGemm
{
    private const int KcMax = 256;
    private const int McRows = 20 * GemmMicroKernel.Rows;
    private const int NcColumns = 512;
    private const long MinMultiplyAddsPerTask = 1 << 16;

    private readonly ThreadTeam _team;
    private readonly GemmScratch _scratch = new();
    private readonly PackPhase _packPhase;
    private readonly ComputePhase _computePhase;
    private Call _call;
    private int _packTasks;
    private int _computeTasks;

    public CpuGemm(ThreadTeam team, SimdWidth width)
    {
        _team = team;
        Width = width;
        Nr = 2 * SimdSupport.VectorFloats(width);
        _packPhase = new PackPhase(this);
        _computePhase = new ComputePhase(this);
    }

    public SimdWidth Width { get; }

    /// <summary>Columns per B panel: two vectors.</summary>
    public int Nr { get; }

    /// <summary>C (m×n at cOffset) += alpha · op(A) · op(B); C has already been scaled by beta.</summary>
    public void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset)
    {
        var panelsM = (m + GemmMicroKernel.Rows - 1) / GemmMicroKernel.Rows;
        var panelsN = (n + Nr - 1) / Nr;
        _call = Prepare(_scratch, transposeA, transposeB, m, n, k, alpha, a, aOffset, b, bOffset, c, cOffset);
        try
        {
            var work = (long)m * n * k;
            var tasks = (int)Math.Clamp(work / MinMultiplyAddsPerTask, 1, _team.Threads);
            _packTasks = Math.Min(tasks, Math.Max(panelsM, panelsN));
            _team.Run(_packPhase, _packTasks);
            _computeTasks = Math.Min(tasks, Math.Max(panelsM, panelsN));
            _team.Run(_computePhase, _computeTasks);
        }
        finally
        {
            _call = default;
        }
    }

    /// <summary>
    /// The same product entirely on the calling thread with the caller's scratch: for work that is already split
    /// across the team at a coarser grain (convolution runs one sample per call).
    /// </summary>
    /// <remarks>
    /// A nonzero <paramref name="aStamp"/> promises that A is unchanged across every call with that stamp (a layer's
    /// weights during one convolution call), so A is packed once per scratch and reused for the other samples.
    /// </remarks>
    public void MultiplyOnThisThread(GemmScratch scratch, bool transposeA, bool transposeB, int m, int n, int k, float alpha, float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset, long aStamp = 0)
    {
        if (m == 0 || n == 0 || k == 0 || alpha == 0f)
        {
            return;
        }

        var reuseA = aStamp != 0 && scratch.PackedA == (aStamp, a, aOffset, transposeA, m, k);
        var call = Prepare(scratch, transposeA, transposeB, m, n, k, alpha, a, aOffset, b, bOffset, c, cOffset);
        Pack(call, scratch, 0, 1, packA: !reuseA);
        scratch.PackedA = aStamp != 0 ? (aStamp, a, aOffset, transposeA, m, k) : default;
        Compute(call, scratch, 0, 1);
    }

    private Call Prepare(GemmScratch scratch, bool transposeA, bool transposeB, int m, int n, int k, float alpha, float[] a, int aOffset, float[] b, int bOffset, float[] c, int cOffset)
    {
        var panelsM = (m + GemmMicroKernel.Rows - 1) / GemmMicroKernel.Rows;
        var panelsN = (n + Nr - 1) / Nr;
        scratch.A.Span(checked(panelsM * k * GemmMicroKernel.Rows));
        scratch.B.Span(checked(panelsN * k * Nr));
        return new Call(transposeA, transposeB, m, n, k, alpha, a, aOffset, b, bOffset, c, cOffset, panelsM, panelsN);
    }

    private void Pack(in Call c, GemmScratch scratch, int task, int tasks, bool packA = true)
    {
        const int mr = GemmMicroKernel.Rows;
        var aPanel = c.K * mr;
        var a = c.A.AsSpan(c.AOffset);
        var packedA = scratch.A.Array.AsSpan(scratch.A.Start);
        for (var i = c.PanelsM * task / tasks; packA && i < c.PanelsM * (task + 1) / tasks; i++)
        {
            GemmPacking.PackA(a, c.TransposeA, c.M, c.K, i, packedA.Slice(i * aPanel, aPanel));
        }

        var bPanel = c.K * Nr;
        var b = c.B.AsSpan(c.BOffset);
        var packedB = scratch.B.Array.AsSpan(scratch.B.Start);
        for (var j = c.PanelsN * task / tasks; j < c.PanelsN * (task + 1) / tasks; j++)
        {
            GemmPacking.PackB(b, c.TransposeB, c.N, c.K, Nr, j, packedB.Slice(j * bPanel, bPanel));
        }
    }

    private void Compute(in Call c, GemmScratch scratch, int task, int tasks)
    {
        int i0 = 0, i1 = c.PanelsM, j0 = 0, j1 = c.PanelsN;
        if (c.PanelsN >= c.PanelsM)
        {
            (j0, j1) = (c.PanelsN * task / tasks, c.PanelsN * (task + 1) / tasks);
        }
        else
        {
            (i0, i1) = (c.PanelsM * task / tasks, c.PanelsM * (task + 1) / tasks);
        }

        switch (Width)
        {
            case SimdWidth.Bits512:
                ComputeTiles<Simd512, Vector512<float>>(c, scratch, i0, i1, j0, j1);
                break;
            case SimdWidth.Bits256:
                ComputeTiles<Simd256, Vector256<float>>(c, scratch, i0, i1, j0, j1);
                break;
            default:
                ComputeTiles<Simd128, Vector128<float>>(c, scratch, i0, i1, j0, j1);
                break;
        }
    }

    /// <summary>Runs the micro-kernel over A panels [i0, i1) × B panels [j0, j1).</summary>
    private void ComputeTiles<TOps, TVec>(in Call c, GemmScratch scratch, int i0, int i1, int j0, int j1)
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        const int mr = GemmMicroKernel.Rows;
        var nr = Nr;
        var kBlocks = (c.K + KcMax - 1) / KcMax;
        var kc = (c.K + kBlocks - 1) / kBlocks;
        var mcPanels = McRows / mr;
        var ncPanels = Math.Max(1, NcColumns / nr);
        ref var aBase = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(scratch.A.Array), scratch.A.Start);
        ref var bBase = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(scratch.B.Array), scratch.B.Start);
        ref var cBase = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(c.C), c.COffset);
        Span<float> edge = stackalloc float[mr * 2 * Vector512<float>.Count];

        for (var jb = j0; jb < j1; jb += ncPanels)
        {
            var jEnd = Math.Min(j1, jb + ncPanels);
            for (var pc = 0; pc < c.K; pc += kc)
            {
                var len = Math.Min(kc, c.K - pc);
                for (var ib = i0; ib < i1; ib += mcPanels)
                {
                    var iEnd = Math.Min(i1, ib + mcPanels);
                    for (var j = jb; j < jEnd; j++)
                    {
                        ref var bPanel = ref Unsafe.Add(ref bBase, ((nint)j * c.K * nr) + ((nint)pc * nr));
                        var col0 = j * nr;
                        var cols = Math.Min(nr, c.N - col0);
                        for (var i = ib; i < iEnd; i++)
                        {
                            ref var aPanel = ref Unsafe.Add(ref aBase, ((nint)i * c.K * mr) + ((nint)pc * mr));
                            var row0 = i * mr;
                            var rows = Math.Min(mr, c.M - row0);
                            if (rows == mr && cols == nr)
                            {
                                ref var cTile = ref Unsafe.Add(ref cBase, ((nint)row0 * c.N) + col0);
                                GemmMicroKernel.Run<TOps, TVec>(ref aPanel, ref bPanel, len, ref cTile, c.N, c.Alpha);
                                continue;
                            }

                            // An edge tile: the kernel writes the full padded tile into scratch, and only the part
                            // inside C is added.
                            edge.Clear();
                            GemmMicroKernel.Run<TOps, TVec>(ref aPanel, ref bPanel, len, ref MemoryMarshal.GetReference(edge), nr, c.Alpha);
                            for (var r = 0; r < rows; r++)
                            {
                                var dst = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref cBase, ((nint)(row0 + r) * c.N) + col0), cols);
                                System.Numerics.Tensors.TensorPrimitives.Add(dst, edge.Slice(r * nr, cols), dst);
                            }
                        }
                    }
                }
            }
        }
    }

    private readonly record struct Call(
        bool TransposeA, bool TransposeB, int M, int N, int K, float Alpha,
        float[] A, int AOffset, float[] B, int BOffset, float[] C, int COffset, int PanelsM, int PanelsN);

    private sealed class PackPhase(CpuGemm gemm) : IParallelWork
    {
        public void Execute(int task) => gemm.Pack(gemm._call, gemm._scratch, task, gemm._packTasks);
    }

    private sealed class ComputePhase(CpuGemm gemm) : IParallelWork
    {
        public void Execute(int task) => gemm.Compute(gemm._call, gemm._scratch, task, gemm._computeTasks);
    }
}

/// <summary>Packed-operand buffers for one thread's GEMMs.</summary>
internal sealed class GemmScratch
{
    /// <summary>What the packed A holds, when a caller promised it stays valid (see MultiplyOnThisThread).</summary>
    public (long Stamp, float[]? Array, int Offset, bool Transposed, int M, int K) PackedA { get; set; }

    public AlignedScratch A { get; } = new();

    public AlignedScratch B { get; } = new();
}
