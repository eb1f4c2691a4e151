using Distributed.Core.Compute;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter): the parameter shrinks by lr·λ before the Adam step instead of λ·p joining
/// the gradient, so decay is not rescaled by the adaptive denominator. PyTorch's default λ is 0.01.
/// </summary>
public sealed class AdamW(IComputeBackend backend, Tensor parameters, Tensor gradients, AdamOptions options, LearningRateSchedule? schedule = null)
    : Adam(backend, parameters, gradients, options, schedule)
{
    public const double DefaultWeightDecay = 0.01;

    public override string Name => "adamw";

    protected override double CoupledWeightDecay => 0;

    protected override double DecoupledDecay(double lr) => lr * Options.WeightDecay;
}
