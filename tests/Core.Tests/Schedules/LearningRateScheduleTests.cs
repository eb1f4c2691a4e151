using Distributed.Core.Compute.Cpu;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Schedules;

/// <summary>Each schedule against literal values of its formula (base lr 0.1, step t counted from 0).</summary>
public sealed class LearningRateScheduleTests
{
    private const double BaseLr = 0.1;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1_000_000)]
    public void Constant_IsTheBaseRate(long t)
    {
        Assert.Equal(BaseLr, new ConstantSchedule().At(BaseLr, t));
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(2, 0.1)]
    [InlineData(3, 0.05)]
    [InlineData(5, 0.05)]
    [InlineData(6, 0.025)]
    [InlineData(9, 0.0125)]
    public void Step_IsLrTimesGammaToTheFloorOfTOverStepSize(long t, double expected)
    {
        // 0.1 · 0.5^⌊t/3⌋
        Assert.Equal(expected, new StepSchedule(3, 0.5).At(BaseLr, t), 1e-15);
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(1, 0.09)]
    [InlineData(2, 0.081)]
    [InlineData(10, 0.03486784401)]
    public void Exponential_IsLrTimesGammaToTheT(long t, double expected)
    {
        // 0.1 · 0.9ᵗ
        Assert.Equal(expected, new ExponentialSchedule(0.9).At(BaseLr, t), 1e-15);
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(1, 0.0977975432332819)]
    [InlineData(5, 0.055)]
    [InlineData(9, 0.0122024567667181)]
    [InlineData(10, 0.01)]
    [InlineData(11, 0.01)]
    [InlineData(100, 0.01)]
    public void Cosine_AnnealsToMinimumThenStaysThere(long t, double expected)
    {
        // 0.01 + (0.1 − 0.01)·(1 + cos(π·min(t, 10)/10))/2
        Assert.Equal(expected, new CosineSchedule(10, minLr: 0.01).At(BaseLr, t), 1e-15);
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(1, 0.0975528258147577)]
    [InlineData(5, 0.05)]
    [InlineData(10, 0.0)]
    [InlineData(25, 0.0)]
    public void Cosine_DefaultsToAMinimumOfZero(long t, double expected)
    {
        Assert.Equal(expected, new CosineSchedule(10).At(BaseLr, t), 1e-15);
    }

    [Theory]
    [InlineData(0, 0.025)]
    [InlineData(1, 0.05)]
    [InlineData(2, 0.075)]
    [InlineData(3, 0.1)]
    [InlineData(4, 0.1)]
    [InlineData(5, 0.0975528258147577)]
    [InlineData(6, 0.0904508497187474)]
    [InlineData(14, 0.0)]
    public void Warmup_IsLinearForWStepsThenTheInnerScheduleFromZero(long t, double expected)
    {
        // t < 4: 0.1·(t+1)/4; afterwards cosine(T = 10) at t − 4, so it starts again from the full rate.
        Assert.Equal(expected, new WarmupSchedule(4, new CosineSchedule(10)).At(BaseLr, t), 1e-15);
    }

    [Fact]
    public void Warmup_AroundStep_RestartsTheStepCount()
    {
        var schedule = new WarmupSchedule(2, new StepSchedule(3, 0.5));

        // Warm-up 0.05, 0.1; then StepSchedule at 0, 1, 2 (0.1) and 3 (0.05).
        double[] expected = [0.05, 0.1, 0.1, 0.1, 0.1, 0.05];
        for (var t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t], schedule.At(BaseLr, t), 1e-15);
        }
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(-1, 0.5)]
    [InlineData(3, 0.0)]
    [InlineData(3, -0.5)]
    [InlineData(3, 1.5)]
    [InlineData(3, double.NaN)]
    public void Step_RejectsBadArguments(int stepSize, double gamma)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepSchedule(stepSize, gamma));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.9)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Exponential_RejectsBadGamma(double gamma)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialSchedule(gamma));
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(-5, 0.0)]
    [InlineData(10, -0.01)]
    [InlineData(10, double.NaN)]
    public void Cosine_RejectsBadArguments(long totalSteps, double minLr)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(totalSteps, minLr));
    }

    /// <summary>An infinite floor would turn every rate into NaN or ∞.</summary>
    [Fact]
    public void Cosine_RejectsInfiniteMinimum()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(10, double.PositiveInfinity));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Warmup_RejectsNonPositiveLength(int warmupSteps)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupSchedule(warmupSteps, new ConstantSchedule()));
    }

    [Fact]
    public void GammaOfOne_IsAllowedAndConstant()
    {
        Assert.Equal(BaseLr, new StepSchedule(1, 1.0).At(BaseLr, 50));
        Assert.Equal(BaseLr, new ExponentialSchedule(1.0).At(BaseLr, 50));
    }

    [Fact]
    public void SgdWithStepSchedule_MovesByTheScheduledRateTimesTheGradient()
    {
        // StepSchedule(2, 0.5) on lr = 0.4: steps 0–1 use 0.4, 2–3 use 0.2, step 4 uses 0.1. With g = 2.5,
        // plain SGD must move p by exactly scheduled lr × 2.5, and LastLr must report that rate.
        var parameters = Tensor.FromArray([0f], 1);
        var gradients = Tensor.FromArray([2.5f], 1);
        var optimizer = new Sgd(new CpuBackend(1), parameters, gradients, new SgdOptions { Lr = 0.4 }, new StepSchedule(2, 0.5));
        double[] scheduled = [0.4, 0.4, 0.2, 0.2, 0.1];

        foreach (var lr in scheduled)
        {
            var before = parameters[0];
            optimizer.Step();
            Assert.Equal(lr, optimizer.LastLr, 1e-15);
            Assert.Equal(-lr * 2.5, parameters[0] - before, 1e-6);
        }

        Assert.Equal(scheduled.Length, optimizer.StepCount);
    }
}
