namespace Distributed.Core.Data;

/// <summary>The four points on y = 2x: the smallest data set a regression run can be checked against by hand.</summary>
public static class LinearRegressionData
{
    public static Dataset Builtin() =>
        new("linear", [1], features: [1f, 2f, 3f, 4f], targets: [2f, 4f, 6f, 8f], targetLength: 1, classes: 0);
}
