using Distributed.Core.Compute;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

public record AdamOptions : OptimizerOptions
{
    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-8;

    public bool AmsGrad { get; init; }

    public override void Validate()
    {
        base.Validate();
        Check.UnitInterval(Beta1, "beta1");
        Check.UnitInterval(Beta2, "beta2");
        Check.Positive(Epsilon, "epsilon");
    }
}

/// <summary>Adam (Kingma &amp; Ba) with bias correction and optional AMSGrad; weight decay is coupled L2.</summary>
public class Adam : Optimizer
{
    private readonly AdamOptions _options;
    private readonly Tensor _m;
    private readonly Tensor _v;
    private readonly Tensor? _vMax;

    public Adam(IComputeBackend backend, Tensor parameters, Tensor gradients, AdamOptions options, LearningRateSchedule? schedule = null)
        : base(backend, parameters, gradients, options, schedule)
    {
        _options = options;
        _m = NewState();
        _v = NewState();
        _vMax = options.AmsGrad ? NewState() : null;
    }

    public override string Name => "adam";

    public override int StateFloatsPerParameter => _vMax is null ? 2 : 3;

    public override IReadOnlyList<(string Name, Tensor Values)> State => _vMax is null ? [("m", _m), ("v", _v)] : [("m", _m), ("v", _v), ("v_max", _vMax)];

    /// <summary>AdamW's lr·λ parameter shrink; zero for Adam.</summary>
    protected virtual double DecoupledDecay(double lr) => 0;

    protected override void Update(double lr)
    {
        var t = StepCount;
        Backend.AdamUpdate(Parameters, Gradients, _m, _v, _vMax, new AdamStep(
            (float)lr,
            (float)_options.Beta1,
            (float)_options.Beta2,
            (float)_options.Epsilon,
            // From the float β the kernel uses, so a constant gradient's correction cancels exactly.
            (float)(1 - Math.Pow((float)_options.Beta1, t)),
            (float)(1 - Math.Pow((float)_options.Beta2, t)),
            _options.AmsGrad,
            (float)DecoupledDecay(lr)));
    }
}
