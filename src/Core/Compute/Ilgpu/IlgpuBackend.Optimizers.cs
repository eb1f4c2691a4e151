using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>Each optimizer's update is one fused kernel over the slice: a single pass over parameters, gradients and state.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdConstants> _sgd = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdaGradStep> _adaGrad = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, RmsPropConstants> _rmsProp = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamConstants> _adam = null!;

    public void SgdUpdate(Tensor parameters, Tensor gradients, Tensor? momentumBuffer, SgdStep s)
    {
        RequireSameLength(parameters, gradients, "sgd");
        var buffer = s.Momentum != 0f ? momentumBuffer ?? throw new ArgumentNullException(nameof(momentumBuffer), "sgd with momentum needs its buffer") : null;
        RequireStates(parameters, buffer);
        using var scope = Enter();
        if (parameters.Length > 0)
        {
            _sgd(_stream, parameters.Length, View(parameters), View(gradients), ViewOrPlaceholder(buffer), new SgdConstants(s));
        }
    }

    public void AdaGradUpdate(Tensor parameters, Tensor gradients, Tensor sum, AdaGradStep s)
    {
        RequireSameLength(parameters, gradients, "adagrad");
        RequireStates(parameters, sum);
        using var scope = Enter();
        if (parameters.Length > 0)
        {
            _adaGrad(_stream, parameters.Length, View(parameters), View(gradients), View(sum), s);
        }
    }

    public void RmsPropUpdate(Tensor parameters, Tensor gradients, Tensor squareAverage, Tensor? momentumBuffer, Tensor? gradAverage, RmsPropStep s)
    {
        RequireSameLength(parameters, gradients, "rmsprop");
        var buffer = s.Momentum > 0f ? momentumBuffer ?? throw new ArgumentNullException(nameof(momentumBuffer), "rmsprop with momentum needs its buffer") : null;
        var mean = s.Centered ? gradAverage ?? throw new ArgumentNullException(nameof(gradAverage), "centered rmsprop needs its gradient average") : null;
        RequireStates(parameters, squareAverage, buffer, mean);
        using var scope = Enter();
        if (parameters.Length > 0)
        {
            _rmsProp(_stream, parameters.Length, View(parameters), View(gradients), View(squareAverage), ViewOrPlaceholder(buffer), ViewOrPlaceholder(mean), new RmsPropConstants(s));
        }
    }

    public void AdamUpdate(Tensor parameters, Tensor gradients, Tensor m, Tensor v, Tensor? vMax, AdamStep s)
    {
        RequireSameLength(parameters, gradients, "adam");
        var max = s.AmsGrad ? vMax ?? throw new ArgumentNullException(nameof(vMax), "amsgrad needs its running maximum") : null;
        RequireStates(parameters, m, v, max);
        using var scope = Enter();
        if (parameters.Length > 0)
        {
            _adam(_stream, parameters.Length, View(parameters), View(gradients), View(m), View(v), ViewOrPlaceholder(max), new AdamConstants(s));
        }
    }

    private static void RequireStates(Tensor parameters, params ReadOnlySpan<Tensor?> states)
    {
        foreach (var state in states)
        {
            if (state is not null)
            {
                RequireSameLength(parameters, state, "optimizer state");
            }
        }
    }

    private void LoadUpdates()
    {
        var a = _accelerator;
        _sgd = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, SgdConstants>(UpdateKernels.Sgd);
        _adaGrad = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdaGradStep>(UpdateKernels.AdaGrad);
        _rmsProp = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, RmsPropConstants>(UpdateKernels.RmsProp);
        _adam = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamConstants>(UpdateKernels.Adam);
    }
}
