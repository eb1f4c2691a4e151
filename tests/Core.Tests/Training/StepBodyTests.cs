using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

public class StepBodyTests
{
    private static readonly Dataset Data = SyntheticData.Create([20], classes: 5, count: 40, seed: 4);

    [Fact]
    public void ANonFiniteLossLeavesANonFiniteGradientForTheCheckAfterTheReduction()
    {
        var model = Build();
        var last = model.Parameters.Values.Length - 1;
        model.Parameters.Values.Span[last] = float.PositiveInfinity;
        var body = new StepBody(model, Data.TargetLength);

        var (loss, _) = body.Train(Data, [0, 1, 2], 3, step: 7);

        Assert.False(double.IsFinite(loss));
        Assert.False(double.IsFinite(model.Backend.SumOfSquares(model.Parameters.Gradients)));
    }

    [Fact]
    public void NoSamplesLeaveAZeroGradient()
    {
        var model = Build();
        var body = new StepBody(model, Data.TargetLength);
        body.Train(Data, [0, 1, 2], 3, step: 1);
        Assert.Contains(model.Parameters.Gradients.ToArray(), g => g != 0);

        var (loss, correct) = body.Train(Data, [], 3, step: 2);

        Assert.Equal((0.0, 0), (loss, correct));
        Assert.All(model.Parameters.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void EvaluationDoesNotDependOnTheBatchSizeBeyondRounding()
    {
        var body = new StepBody(Build(), Data.TargetLength);

        var (whole, wholeCorrect) = body.Evaluate(Data, 5, 30, batchSize: 30);
        var (batched, batchedCorrect) = body.Evaluate(Data, 5, 30, batchSize: 7);

        Assert.Equal(wholeCorrect, batchedCorrect);
        Assert.Equal(whole, batched, 1e-4);
        Assert.Equal((0.0, 0L), body.Evaluate(Data, 5, 0, batchSize: 7));
    }

    private static Model Build() => ModelZoo.Create("mlp", Data.SampleShape, 5, new CpuBackend(1), new ModelOptions(3));
}
