using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

public sealed class CpuAffinityTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3,6", new[] { 0, 1, 2, 3, 6 })]
    [InlineData("6,0-1", new[] { 0, 1, 6 })]
    [InlineData("1023", new[] { 1023 })]
    public void ParsesTheKernelsListForm(string text, int[] cpus) => Assert.Equal(cpus, CpuAffinity.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("3-1")]
    [InlineData("1-2-3")]
    [InlineData("-1")]
    [InlineData("1,")]
    [InlineData("1024")]
    [InlineData(" 1")]
    public void RefusesWhatIsNotACpuList(string text) => Assert.Null(CpuAffinity.Parse(text));

    [Fact]
    public void FormatsRunsAsRangesAndReadsThemBack()
    {
        int[] cpus = [0, 1, 2, 5, 7, 8];

        Assert.Equal("0-2,5,7-8", CpuAffinity.Format(cpus));
        Assert.Equal(cpus, CpuAffinity.Parse(CpuAffinity.Format(cpus)));
    }

    [Fact]
    public void ThisProcessMayRunOnAtLeastOneCpuAndAsManyAsTheRuntimeCounts()
    {
        if (!CpuAffinity.Supported)
        {
            return;
        }

        var allowed = CpuAffinity.Allowed();

        // The runtime's count also honours the affinity mask (and a CPU quota, which can only lower it).
        Assert.NotNull(allowed);
        Assert.InRange(Environment.ProcessorCount, 1, allowed.Count);
    }
}
