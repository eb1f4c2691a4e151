using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>The activations besides ReLU, and average pooling.</summary>
public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, float> _activationForward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _activationBackward = null!;
    private AvgPoolKernels _avgPool = null!;

    public void ActivationForward(ActivationFunction f, Tensor x, Tensor y)
    {
        RequireSameLength(x, y, "activation");
        using var scope = Enter();
        if (x.Length > 0)
        {
            _activationForward(_stream, x.Length, View(x), View(y), (int)f.Kind, f.Slope);
        }
    }

    public void ActivationBackward(ActivationFunction f, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        RequireSameLength(x, y, "activation backward");
        RequireSameLength(x, dy, "activation backward");
        RequireSameLength(x, dx, "activation backward");
        using var scope = Enter();
        if (x.Length > 0)
        {
            _activationBackward(_stream, x.Length, View(x), View(y), View(dy), View(dx), (int)f.Kind, f.Slope);
        }
    }

    public void AvgPoolForward(Tensor x, Tensor y, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(y, (long)planes * g.OutputPlane, "average-pool output");
        using var scope = Enter();
        _avgPool.Forward(_stream, View(x), g, planes, View(y));
    }

    public void AvgPoolBackward(Tensor dy, Tensor dx, ConvGeometry g)
    {
        var planes = PoolPlanes(dx, g);
        RequireLength(dy, (long)planes * g.OutputPlane, "average-pool output gradient");
        using var scope = Enter();
        _avgPool.Backward(_stream, View(dy), g, planes, View(dx));
    }

    private void LoadActivations()
    {
        _activationForward = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float>(ActivationKernels.Forward);
        _activationBackward = _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(ActivationKernels.Backward);
        _avgPool = new AvgPoolKernels(_accelerator);
    }
}
