using Distributed.Core.Compute;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

public sealed record RmsPropOptions : OptimizerOptions
{
    public double Alpha { get; init; } = 0.99;

    public double Epsilon { get; init; } = 1e-8;

    public double Momentum { get; init; }

    public bool Centered { get; init; }

    public override void Validate()
    {
        base.Validate();
        Check.UnitInterval(Alpha, "alpha");
        Check.Positive(Epsilon, "epsilon");
        Check.UnitInterval(Momentum, "momentum");
    }
}

/// <summary>RMSProp (PyTorch's form): a running mean of g², optionally centered by the running mean of g, with optional momentum.</summary>
public sealed class RmsProp : Optimizer
{
    private readonly RmsPropOptions _options;
    private readonly Tensor _squareAverage;
    private readonly Tensor? _momentum;
    private readonly Tensor? _gradAverage;

    public RmsProp(IComputeBackend backend, Tensor parameters, Tensor gradients, RmsPropOptions options, LearningRateSchedule? schedule = null)
        : base(backend, parameters, gradients, options, schedule)
    {
        _options = options;
        _squareAverage = NewState();
        _momentum = options.Momentum > 0 ? NewState() : null;
        _gradAverage = options.Centered ? NewState() : null;
    }

    public override string Name => "rmsprop";

    public override int StateFloatsPerParameter => 1 + (_momentum is null ? 0 : 1) + (_gradAverage is null ? 0 : 1);

    public override IReadOnlyList<(string Name, Tensor Values)> State =>
        [("square_average", _squareAverage), .. _momentum is null ? [] : new[] { ("momentum", _momentum) }, .. _gradAverage is null ? [] : new[] { ("grad_average", _gradAverage) }];

    protected override void Update(double lr) =>
        Backend.RmsPropUpdate(Parameters, Gradients, _squareAverage, _momentum, _gradAverage, new RmsPropStep(
            (float)lr, (float)_options.Alpha, (float)_options.Epsilon, (float)_options.Momentum, _options.Centered));
}
