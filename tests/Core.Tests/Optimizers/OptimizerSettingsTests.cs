using Distributed.Core.Compute.Cpu;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

public class OptimizerSettingsTests
{
    public static TheoryData<OptimizerSettings, string> Unused => new()
    {
        { new() { Name = "adam", Nesterov = true }, "nesterov is not used by adam" },
        { new() { Name = "adam", Momentum = 0.9 }, "momentum is not used by adam" },
        { new() { Name = "sgd", Beta1 = 0.8 }, "beta1 is not used by sgd" },
        { new() { Name = "sgd", AmsGrad = true }, "amsgrad is not used by sgd" },
        { new() { Name = "momentum", Epsilon = 1e-6 }, "eps is not used by momentum" },
        { new() { Name = "adagrad", Alpha = 0.9 }, "alpha is not used by adagrad" },
        { new() { Name = "adamw", Centered = true }, "centered is not used by adamw" },
        { new() { Name = "rmsprop", InitialAccumulator = 0.1 }, "initial-accumulator is not used by rmsprop" },
        { new() { Name = "adam", Dampening = 0.1 }, "dampening is not used by adam" },
    };

    [Theory]
    [MemberData(nameof(Unused))]
    public void AHyperparameterTheOptimizerNeverReadsIsRefusedByName(OptimizerSettings settings, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Create(settings));

        Assert.StartsWith(expected, ex.Message);
    }

    [Fact]
    public void EveryHyperparameterAnOptimizerReadsIsAccepted()
    {
        Create(new() { Name = "nesterov", Momentum = 0.8, Dampening = 0, Nesterov = true, WeightDecay = 0.01, L1 = 1e-4, MaxGradNorm = 1 });
        Create(new() { Name = "rmsprop", Momentum = 0.9, Alpha = 0.9, Centered = true, Epsilon = 1e-6 });
        Create(new() { Name = "adamw", Beta1 = 0.8, Beta2 = 0.99, AmsGrad = true, Epsilon = 1e-6, WeightDecay = 0.1 });
        Create(new() { Name = "adagrad", InitialAccumulator = 0.1, Epsilon = 1e-9 });
    }

    [Theory]
    [InlineData("cosine", "lr-step-size")]
    [InlineData("constant", "lr-gamma")]
    [InlineData("step", "lr-min")]
    public void AScheduleParameterOfAnotherScheduleIsRefused(string name, string parameter)
    {
        var settings = parameter switch
        {
            "lr-step-size" => new ScheduleSettings { Name = name, StepSize = 10 },
            "lr-gamma" => new ScheduleSettings { Name = name, Gamma = 0.5 },
            _ => new ScheduleSettings { Name = name, MinLr = 1e-5 },
        };

        var ex = Assert.Throws<ArgumentException>(() => settings.Create(100));

        Assert.StartsWith($"{parameter} is not used by the {name} schedule", ex.Message);
    }

    private static Optimizer Create(OptimizerSettings settings) => settings.Create(new CpuBackend(1), new Tensor(4), new Tensor(4), null);
}
