using Distributed.Core.Collectives;

namespace Distributed.Core.Tests.Collectives;

public class CollectiveTagTests
{
    [Fact]
    public void NamedCollectivesKeepTheirWireCodes()
    {
        // The codes travel in ring chunk headers: a change here would make old and new workers disagree.
        Assert.Equal(new CollectiveTag(7, -1), CollectiveTag.ParameterGather(7));
        Assert.Equal(new CollectiveTag(7, -2), CollectiveTag.GradientNorm(7));
        Assert.Equal(new CollectiveTag(7, 3), CollectiveTag.ForBucket(7, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => CollectiveTag.ForBucket(7, -1));
    }

    [Fact]
    public void DescribeNamesWhereInTheStepACollectiveIs()
    {
        Assert.Equal("in the parameter all-gather", CollectiveTag.ParameterGather(1).Describe("all-gather"));
        Assert.Equal("in the gradient-norm all-reduce", CollectiveTag.GradientNorm(1).Describe("reduce-scatter"));
        Assert.Equal("in bucket 4's reduce-scatter", CollectiveTag.ForBucket(1, 4).Describe("reduce-scatter"));
    }
}
