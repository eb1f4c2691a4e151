using Distributed.Core.Compute;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

public sealed record AdaGradOptions : OptimizerOptions
{
    public double Epsilon { get; init; } = 1e-10;

    public double InitialAccumulator { get; init; }

    public override void Validate()
    {
        base.Validate();
        Check.Positive(Epsilon, "epsilon");
        Check.NonNegative(InitialAccumulator, "initial accumulator");
    }
}

/// <summary>AdaGrad: per-parameter rates shrinking with the running sum of squared gradients.</summary>
public sealed class AdaGrad : Optimizer
{
    private readonly AdaGradOptions _options;
    private readonly Tensor _sum;

    public AdaGrad(IComputeBackend backend, Tensor parameters, Tensor gradients, AdaGradOptions options, LearningRateSchedule? schedule = null)
        : base(backend, parameters, gradients, options, schedule)
    {
        _options = options;
        _sum = NewState();
        backend.Fill(_sum, (float)options.InitialAccumulator);
    }

    public override string Name => "adagrad";

    public override int StateFloatsPerParameter => 1;

    public override IReadOnlyList<(string Name, Tensor Values)> State => [("sum", _sum)];

    protected override void Update(double lr) =>
        Backend.AdaGradUpdate(Parameters, Gradients, _sum, new AdaGradStep((float)lr, (float)_options.Epsilon));
}
