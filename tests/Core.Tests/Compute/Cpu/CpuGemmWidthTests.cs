using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

/// <summary>
/// The same GEMM checks with the 256-bit and 128-bit kernels, which other processors (AVX2-only x64, Arm) run:
/// every width this processor can execute is tested here, whatever the width the backend picks by default.
/// </summary>
public sealed class CpuGemm256Tests : GemmTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(2, SimdWidth.Bits256);
}

public sealed class CpuGemm128Tests : GemmTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(2, SimdWidth.Bits128);
}
