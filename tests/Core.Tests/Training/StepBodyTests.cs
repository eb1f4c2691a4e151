using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

public class StepBodyTests
{
    private static readonly Dataset Data = SyntheticData.Create([20], classes: 5, count: 40, seed: 4);

    [Theory]
    [InlineData(null, "at step 7;")]
    [InlineData(2, "at step 7 on rank 2;")]
    public void ADivergedLossNamesTheStepAndTheRank(int? rank, string where)
    {
        var model = Build();
        model.Parameters.Values.Span[0] = float.NaN;
        var body = new StepBody(model, Data.TargetLength, rank);

        var error = Assert.Throws<TrainingDivergedException>(() => body.Train(Data, [0, 1, 2], 3, step: 7));

        Assert.Contains(where, error.Message);
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
