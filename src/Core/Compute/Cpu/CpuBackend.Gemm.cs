using Distributed.Core.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Cpu;

public sealed partial class CpuBackend
{
    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm dimensions {m}x{n}x{k}");
        }

        RequireLength(a, m * k, "gemm A");
        RequireLength(b, k * n, "gemm B");
        RequireLength(c, m * n, "gemm C");

        var cs = c.Span[..(m * n)];
        if (beta == 0f)
        {
            cs.Clear();
        }
        else if (beta != 1f)
        {
            TensorPrimitives.Multiply(cs, beta, cs);
        }

        if (m == 0 || n == 0 || k == 0 || alpha == 0f)
        {
            return;
        }

        _gemm.Multiply(transposeA, transposeB, m, n, k, alpha, a.Storage, a.Offset, b.Storage, b.Offset, c.Storage, c.Offset);
    }
}
