using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

public sealed class CpuActivationTests : ActivationTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(1);
}

public sealed class CpuAvgPoolTests : AvgPoolTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(1);
}
