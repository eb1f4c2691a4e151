using Distributed.Core.Data;

namespace Distributed.Core.Tests.Data;

public sealed class LinearRegressionDataTests
{
    [Fact]
    public void BuiltinIsFourPointsOnTwoX()
    {
        var data = LinearRegressionData.Builtin();

        Assert.Equal([1], data.SampleShape);
        Assert.Equal(1, data.TargetLength);
        Assert.Equal(0, data.Classes);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
        Assert.Equal([2f, 4f, 6f, 8f], data.Targets);
    }
}
