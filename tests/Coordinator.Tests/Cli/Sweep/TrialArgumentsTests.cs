using Distributed.Coordinator.Cli;
using Distributed.Coordinator.Sweeps;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Tests.Cli.Sweep;

public class TrialArgumentsTests
{
    private static readonly ParameterSpec[] Specs = [ParameterSpec.Parse("lr=[0.01,0.02]")];

    private static readonly TrainSettings Fixed = new() { Model = "mlp", Optimizer = new() { Name = "sgd" } };

    [Fact]
    public void LocalJobsRunInParallelAreLeftUnboundSoTheyDoNotAllTakeTheFirstCpus()
    {
        var arguments = new TrialArguments(Fixed, workers: 2, Specs).For([new("lr", "0.01")], parallel: 2, "trial-0");

        var at = Array.IndexOf(arguments, "--cpu-bind");
        Assert.True(at >= 0, string.Join(' ', arguments));
        Assert.Equal("none", arguments[at + 1]);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(0, 2)]
    public void OneLocalJobAtATimeOrTrialsInThisProcessKeepTheDefault(int workers, int parallel)
    {
        var arguments = new TrialArguments(Fixed, workers, Specs).For([new("lr", "0.01")], parallel, "trial-0");

        Assert.DoesNotContain("--cpu-bind", arguments);
    }
}
