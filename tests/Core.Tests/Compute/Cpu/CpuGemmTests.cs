using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute.Cpu;

/// <summary>
/// The GEMM at the processor's widest register width. Shapes cover one element, sizes that are no multiple of the
/// micro-kernel's 6 rows or 2-vector columns, exact tiles, tall and skinny operands both ways, and k longer than one
/// cache block (256), so edge tiles, zero-padded panels and several k blocks are all exercised.
/// </summary>
public sealed class CpuGemmTests : GemmTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(1);

    public static TheoryData<int, int, int, bool, bool> ParallelShapes()
    {
        // The last four split across threads (rows·n·k ≥ 2¹⁶); the brief's awkward shapes run serially either way.
        var data = ShapesAndTransposes();
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            data.Add(67, 45, 131, ta, tb);
            data.Add(130, 33, 100, ta, tb);
            data.Add(257, 16, 64, ta, tb);
            data.Add(41, 200, 37, ta, tb);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ParallelShapes))]
    public void ThreadCountDoesNotChangeASingleBit(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var results = new[] { 1, 2, 3, 8 }.Select(threads =>
        {
            var (a, b, c) = Operands(m, n, k, seed: 17);
            new CpuBackend(threads).Gemm(transposeA, transposeB, m, n, k, 1.25f, a, b, 0.5f, c);
            return c.ToArray();
        }).ToArray();

        foreach (var other in results[1..])
        {
            Assert.Equal(results[0], other);
        }
    }

    [Theory]
    [InlineData(9, 37, 23)]
    [InlineData(13, 16, 5)]
    public void EachRowIsTheSameWhicheverPathComputesIt(int m, int n, int k)
    {
        // A row inside a full 6-row tile and the same row alone in a zero-padded edge tile go through the same
        // kernel with the same k blocks, so with beta = 0 they are bitwise equal.
        var backend = new CpuBackend(1);
        var (a, b, c) = Operands(m, n, k, seed: 23);
        backend.Gemm(false, false, m, n, k, 0.75f, a, b, 0f, c);

        for (var i = 0; i < m; i++)
        {
            var row = new Tensor(n);
            backend.Gemm(false, false, 1, n, k, 0.75f, a.View(i * k, k), b, 0f, row);
            Assert.Equal(c.Span.Slice(i * n, n).ToArray(), row.ToArray());
        }
    }
}
