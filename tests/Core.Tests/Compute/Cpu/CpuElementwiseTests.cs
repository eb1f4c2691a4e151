using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

public sealed class CpuElementwiseTests : ElementwiseTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(1);
}
