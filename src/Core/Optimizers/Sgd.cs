using Distributed.Core.Compute;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

public sealed record SgdOptions : OptimizerOptions
{
    public double Momentum { get; init; }

    public double Dampening { get; init; }

    public bool Nesterov { get; init; }

    public override void Validate()
    {
        base.Validate();
        Check.UnitInterval(Momentum, "momentum");
        Check.UnitInterval(Dampening, "dampening");
        if (Nesterov && (Momentum == 0 || Dampening != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Nesterov), "Nesterov momentum needs momentum > 0 and dampening 0");
        }
    }
}

/// <summary>SGD, with PyTorch's momentum v = μ·v + (1−τ)·g and optional Nesterov look-ahead g + μ·v.</summary>
public sealed class Sgd : Optimizer
{
    private readonly SgdOptions _options;
    private readonly Tensor? _momentum;

    public Sgd(IComputeBackend backend, Tensor parameters, Tensor gradients, SgdOptions options, LearningRateSchedule? schedule = null)
        : base(backend, parameters, gradients, options, schedule)
    {
        _options = options;
        _momentum = options.Momentum > 0 ? NewState() : null;
    }

    public override string Name => _options.Nesterov ? "nesterov" : _options.Momentum > 0 ? "momentum" : "sgd";

    public override int StateFloatsPerParameter => _momentum is null ? 0 : 1;

    public override IReadOnlyList<(string Name, Tensor Values)> State => _momentum is null ? [] : [("momentum", _momentum)];

    protected override void Update(double lr) =>
        Backend.SgdUpdate(Parameters, Gradients, _momentum, new SgdStep(
            (float)lr, (float)_options.Momentum, (float)_options.Dampening, _options.Nesterov, StepCount == 1));
}
