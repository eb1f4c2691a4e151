using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

/// <summary>A bad hyperparameter fails at construction with ArgumentOutOfRangeException, never as a NaN later.</summary>
public sealed class OptimizerOptionsTests
{
    private static readonly double[] BadPositives = [0.0, -0.1, double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    private static readonly double[] BadNonNegatives = [-0.01, double.NaN, double.PositiveInfinity];

    private static readonly double[] BadUnitInterval = [1.0, 1.5, -0.1, double.NaN];

    public static TheoryData<string, double> EveryOptimizerWithBadLr => Cross(BadPositives);

    public static TheoryData<string, double> EveryOptimizerWithBadPenalty => Cross(BadNonNegatives);

    public static TheoryData<string, double> EveryOptimizerWithBadClip => Cross(BadPositives);

    public static TheoryData<double> BadUnitIntervalValues => new(BadUnitInterval);

    public static TheoryData<double> BadEpsilons => new(BadPositives);

    [Theory]
    [MemberData(nameof(EveryOptimizerWithBadLr))]
    public void LearningRate_MustBePositiveAndFinite(string kind, double lr)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(kind, lr));

        Assert.Equal(lr, error.ActualValue);
        Assert.Contains("learning rate", error.ParamName, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EveryOptimizerWithBadPenalty))]
    public void WeightDecay_MustBeNonNegativeAndFinite(string kind, double weightDecay)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(kind, 0.1, weightDecay: weightDecay));
    }

    [Theory]
    [MemberData(nameof(EveryOptimizerWithBadPenalty))]
    public void L1_MustBeNonNegativeAndFinite(string kind, double l1)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(kind, 0.1, l1: l1));
    }

    [Theory]
    [MemberData(nameof(EveryOptimizerWithBadClip))]
    public void MaxGradNorm_MustBePositiveAndFinite(string kind, double maxGradNorm)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(kind, 0.1, maxGradNorm: maxGradNorm));
    }

    [Theory]
    [MemberData(nameof(BadUnitIntervalValues))]
    public void AdamBetas_MustBeInHalfOpenUnitInterval(double beta)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateAdam(new AdamOptions { Lr = 0.1, Beta1 = beta }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateAdam(new AdamOptions { Lr = 0.1, Beta2 = beta }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(FixedProblem.Backend(), new Tensor(1), new Tensor(1), new AdamOptions { Lr = 0.1, Beta1 = beta }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(FixedProblem.Backend(), new Tensor(1), new Tensor(1), new AdamOptions { Lr = 0.1, Beta2 = beta }));
    }

    [Theory]
    [MemberData(nameof(BadUnitIntervalValues))]
    public void Momentum_MustBeInHalfOpenUnitInterval(double momentum)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateSgd(new SgdOptions { Lr = 0.1, Momentum = momentum }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateRmsProp(new RmsPropOptions { Lr = 0.1, Momentum = momentum }));
    }

    [Theory]
    [MemberData(nameof(BadUnitIntervalValues))]
    public void DampeningAndAlpha_MustBeInHalfOpenUnitInterval(double value)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateSgd(new SgdOptions { Lr = 0.1, Momentum = 0.9, Dampening = value }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateRmsProp(new RmsPropOptions { Lr = 0.1, Alpha = value }));
    }

    [Theory]
    [MemberData(nameof(BadEpsilons))]
    public void Epsilon_MustBePositiveAndFinite(double epsilon)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaGrad(FixedProblem.Backend(), new Tensor(1), new Tensor(1), new AdaGradOptions { Lr = 0.1, Epsilon = epsilon }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateRmsProp(new RmsPropOptions { Lr = 0.1, Epsilon = epsilon }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateAdam(new AdamOptions { Lr = 0.1, Epsilon = epsilon }));
    }

    [Fact]
    public void Nesterov_NeedsMomentumAndNoDampening()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateSgd(new SgdOptions { Lr = 0.1, Nesterov = true }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateSgd(new SgdOptions { Lr = 0.1, Momentum = 0.9, Dampening = 0.1, Nesterov = true }));
    }

    [Fact]
    public void AdaGradInitialAccumulator_MustBeNonNegative()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaGrad(FixedProblem.Backend(), new Tensor(1), new Tensor(1), new AdaGradOptions { Lr = 0.1, InitialAccumulator = -1 }));
    }

    [Fact]
    public void BoundaryValues_AreAccepted()
    {
        // β = 0, momentum = 0, zero penalties and a tiny positive rate are all legal.
        CreateAdam(new AdamOptions { Lr = double.Epsilon, Beta1 = 0, Beta2 = 0 });
        CreateSgd(new SgdOptions { Lr = 1e-12, Momentum = 0, Dampening = 0, WeightDecay = 0, L1 = 0 });
        CreateRmsProp(new RmsPropOptions { Lr = 0.1, Alpha = 0, Momentum = 0.999999 });
        CreateSgd(new SgdOptions { Lr = 0.1, MaxGradNorm = 1e-9 });
    }

    private static TheoryData<string, double> Cross(double[] values)
    {
        var data = new TheoryData<string, double>();
        foreach (var kind in OptimizerFactory.Kinds)
        {
            foreach (var value in values)
            {
                data.Add(kind, value);
            }
        }

        return data;
    }

    private static Adam CreateAdam(AdamOptions options) => new(FixedProblem.Backend(), new Tensor(1), new Tensor(1), options);

    private static Sgd CreateSgd(SgdOptions options) => new(FixedProblem.Backend(), new Tensor(1), new Tensor(1), options);

    private static RmsProp CreateRmsProp(RmsPropOptions options) => new(FixedProblem.Backend(), new Tensor(1), new Tensor(1), options);
}
