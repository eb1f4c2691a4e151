using Distributed.Core.Data;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;

namespace Distributed.Core.Tests.Training;

/// <summary>Every optimizer fits y = 2x on the built-in four points to θ1 = 2, θ2 = 0 within 1e-3.</summary>
public class LinearRegressionTests
{
    public static TheoryData<string, double, int, string> Settings => new()
    {
        // name, lr, full-batch steps, schedule: adaptive methods anneal so they settle instead of hovering.
        { "sgd", 0.1, 1500, "constant" },
        { "momentum", 0.02, 1500, "constant" },
        { "nesterov", 0.02, 1500, "constant" },
        { "adagrad", 0.5, 3000, "constant" },
        { "rmsprop", 0.01, 3000, "cosine" },
        { "adam", 0.05, 3000, "cosine" },
        { "adamw", 0.05, 3000, "cosine" },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void ReachesTheLine(string optimizer, double lr, int steps, string schedule)
    {
        var data = LinearRegressionData.Builtin();
        var settings = new OptimizerSettings { Name = optimizer, Lr = lr, WeightDecay = 0 };

        var (model, result) = TrainingHarness.Train("linreg", data, null, settings, epochs: steps, batchSize: 4, schedule: new ScheduleSettings { Name = schedule });

        var theta = model.Parameters.Values.ToArray();
        Assert.True(Math.Abs(theta[0] - 2) < 1e-3 && Math.Abs(theta[1]) < 1e-3, $"{optimizer}: θ = ({theta[0]}, {theta[1]}), loss {result.FinalLoss}");
    }
}
