using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The shared-memory tiled SGEMM kernel. Each group of 16×16 threads computes one 64×64 tile of C; each thread owns
/// 4×4 outputs at rows ty + 16·r and columns tx + 16·s. That strided ownership (not a 4×4 block) lets a warp read 16
/// consecutive floats of the B tile and store 16 consecutive floats of C, with no shared-memory bank conflicts and
/// coalesced writes. K is consumed in slabs of 16: the group stages a 64×16 slab of op(A) and a 16×64 slab of op(B)
/// in shared memory, then every thread does 16×16 multiply-adds from it.
/// </summary>
/// <remarks>
/// ILGPU 1.5.3 does not unroll loops, and a local array would live in slow local memory, so the 16 accumulators are
/// 16 locals and the 4×4 update is written out. Transposes are resolved while loading the slabs: the shared tiles are
/// always op(A) and op(B), so the multiply loop has one form. Edges are zero-padded on load and guarded on store.
/// </remarks>
internal static class TiledGemmKernel
{
    public const int TileM = 64;
    public const int TileN = 64;
    public const int TileK = 16;

    /// <summary>Threads per side of the group; 16·16 = <see cref="IlgpuDevices.GroupSize"/>.</summary>
    public const int Threads = 16;

    /// <summary>
    /// Row length of both shared tiles, one more than 64: loads that walk k (A row-major, B transposed) write a
    /// column of the tile, and with a stride of 64 all 16 of those writes would fall in one memory bank.
    /// </summary>
    private const int SharedStride = TileM + 1;

    private const int SharedLength = TileK * SharedStride;

    /// <summary>Loads the kernel; the caller keeps the delegate so that it is compiled once.</summary>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int, float, float>
        Load(Accelerator accelerator) =>
        accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int, float, float>(Multiply);

    /// <summary>The launch shape for an m×n C: one group per 64×64 tile, x over columns and y over rows.</summary>
    public static KernelConfig Config(int m, int n) =>
        new(new Index2D((n + TileN - 1) / TileN, (m + TileM - 1) / TileM), new Index2D(Threads, Threads));

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C for m, n, k ≥ 1 and views the host has checked. The transposes are ints (0 or
    /// 1), not bools: ints keep the kernel's parameter block free of sub-word fields, which ILGPU's CUDA argument
    /// layout has mishandled before.
    /// </summary>
    internal static void Multiply(
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int m, int n, int k, int transposeA, int transposeB, float alpha, float beta)
    {
        var tileA = SharedMemory.Allocate<float>(SharedLength);
        var tileB = SharedMemory.Allocate<float>(SharedLength);

        var tx = Group.IdxX;
        var ty = Group.IdxY;
        var thread = (ty * Threads) + tx;
        var row0 = Grid.IdxY * TileM;
        var col0 = Grid.IdxX * TileN;

        float c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        float c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        float c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (var k0 = 0; k0 < k; k0 += TileK)
        {
            // 1,024 elements per slab, four per thread.
            LoadA(a, tileA, m, k, transposeA, row0, k0, thread);
            LoadA(a, tileA, m, k, transposeA, row0, k0, thread + 256);
            LoadA(a, tileA, m, k, transposeA, row0, k0, thread + 512);
            LoadA(a, tileA, m, k, transposeA, row0, k0, thread + 768);
            LoadB(b, tileB, n, k, transposeB, col0, k0, thread);
            LoadB(b, tileB, n, k, transposeB, col0, k0, thread + 256);
            LoadB(b, tileB, n, k, transposeB, col0, k0, thread + 512);
            LoadB(b, tileB, n, k, transposeB, col0, k0, thread + 768);
            Group.Barrier();

            // The zero padding makes a partial last slab contribute nothing, so the loop needs no k guard.
            for (var p = 0; p < TileK; p++)
            {
                var at = p * SharedStride;
                var a0 = tileA[at + ty];
                var a1 = tileA[at + ty + 16];
                var a2 = tileA[at + ty + 32];
                var a3 = tileA[at + ty + 48];
                var b0 = tileB[at + tx];
                var b1 = tileB[at + tx + 16];
                var b2 = tileB[at + tx + 32];
                var b3 = tileB[at + tx + 48];

                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }

            // Nobody may overwrite the slabs for the next k0 while another thread still reads them.
            Group.Barrier();
        }

        var r0 = row0 + ty;
        var s0 = col0 + tx;
        Store(c, m, n, r0, s0, c00, alpha, beta);
        Store(c, m, n, r0, s0 + 16, c01, alpha, beta);
        Store(c, m, n, r0, s0 + 32, c02, alpha, beta);
        Store(c, m, n, r0, s0 + 48, c03, alpha, beta);
        Store(c, m, n, r0 + 16, s0, c10, alpha, beta);
        Store(c, m, n, r0 + 16, s0 + 16, c11, alpha, beta);
        Store(c, m, n, r0 + 16, s0 + 32, c12, alpha, beta);
        Store(c, m, n, r0 + 16, s0 + 48, c13, alpha, beta);
        Store(c, m, n, r0 + 32, s0, c20, alpha, beta);
        Store(c, m, n, r0 + 32, s0 + 16, c21, alpha, beta);
        Store(c, m, n, r0 + 32, s0 + 32, c22, alpha, beta);
        Store(c, m, n, r0 + 32, s0 + 48, c23, alpha, beta);
        Store(c, m, n, r0 + 48, s0, c30, alpha, beta);
        Store(c, m, n, r0 + 48, s0 + 16, c31, alpha, beta);
        Store(c, m, n, r0 + 48, s0 + 32, c32, alpha, beta);
        Store(c, m, n, r0 + 48, s0 + 48, c33, alpha, beta);
    }

    /// <summary>
    /// Stages element <paramref name="slot"/> (0..1023) of the 64×16 slab op(A)[row0.., k0..] as tile[p·stride + i].
    /// Consecutive threads take consecutive addresses in A's storage, so the global reads coalesce either way:
    /// along k when A is row-major m×k, along i when it is stored transposed (k×m).
    /// </summary>
    private static void LoadA(ArrayView<float> a, ArrayView<float> tile, int m, int k, int transposed, int row0, int k0, int slot)
    {
        int i, p;
        if (transposed == 0)
        {
            i = slot / TileK;
            p = slot % TileK;
        }
        else
        {
            p = slot / TileM;
            i = slot % TileM;
        }

        var row = row0 + i;
        var kk = k0 + p;
        var value = 0f;
        if (row < m && kk < k)
        {
            value = transposed == 0 ? a[(row * k) + kk] : a[(kk * m) + row];
        }

        tile[(p * SharedStride) + i] = value;
    }

    /// <summary>
    /// Stages element <paramref name="slot"/> of the 16×64 slab op(B)[k0.., col0..] as tile[p·stride + j]: along j
    /// when B is row-major k×n, along k when it is stored transposed (n×k).
    /// </summary>
    private static void LoadB(ArrayView<float> b, ArrayView<float> tile, int n, int k, int transposed, int col0, int k0, int slot)
    {
        int j, p;
        if (transposed == 0)
        {
            p = slot / TileN;
            j = slot % TileN;
        }
        else
        {
            j = slot / TileK;
            p = slot % TileK;
        }

        var col = col0 + j;
        var kk = k0 + p;
        var value = 0f;
        if (col < n && kk < k)
        {
            value = transposed == 0 ? b[(kk * n) + col] : b[(col * k) + kk];
        }

        tile[(p * SharedStride) + j] = value;
    }

    /// <summary>C[row, col] = alpha·sum + beta·C[row, col] inside C; beta == 0 does not read C, so NaN there cannot leak.</summary>
    private static void Store(ArrayView<float> c, int m, int n, int row, int col, float sum, float alpha, float beta)
    {
        if (row < m && col < n)
        {
            var at = (row * n) + col;
            c[at] = beta == 0f ? alpha * sum : (alpha * sum) + (beta * c[at]);
        }
    }
}
