using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;
using Distributed.Core.Tests.Optimizers;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// The fused optimizer updates, the coupled weight penalty and clipping's Σg² on the ILGPU backend (CPU accelerator)
/// against the CPU backend: through the public optimizers over several steps of random gradients, and kernel by
/// kernel from random optimizer state. <see cref="IlgpuCudaBackendTests"/> runs the same checks on a GPU.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuOptimizerTests : IDisposable
{
    /// <summary>
    /// Both backends evaluate each formula in the same operation order (on the CPU accelerator they agree bit for bit;
    /// a GPU may contract to FMA). Parameters are N(0, 1) and a step moves them by 1e-3 to 1e-1, so 1e-6 of
    /// max(|p|, 0.01) is a few float ulps of p and about 1e-3 of the smallest step.
    /// </summary>
    public const double Relative = 1e-6;

    public const double Floor = 1e-2;

    /// <summary>Every fused update, some with coupled penalties, two with clipping by the global norm (Σg² and Scale).</summary>
    internal static readonly Dictionary<string, OptimizerSettings> Settings = new()
    {
        ["sgd"] = new() { Name = "sgd", Lr = 0.05 },
        ["sgd, l2 + l1"] = new() { Name = "sgd", Lr = 0.05, WeightDecay = 0.01, L1 = 1e-3 },
        ["momentum, dampening"] = new() { Name = "momentum", Lr = 0.05, Momentum = 0.9, Dampening = 0.25 },
        ["momentum, l2"] = new() { Name = "momentum", Lr = 0.05, Momentum = 0.8, WeightDecay = 0.01 },
        ["nesterov"] = new() { Name = "nesterov", Lr = 0.05 },
        ["nesterov, l1"] = new() { Name = "nesterov", Lr = 0.05, Momentum = 0.7, L1 = 1e-3 },
        ["adagrad"] = new() { Name = "adagrad", Lr = 0.05 },
        ["adagrad, initial accumulator, l2"] = new() { Name = "adagrad", Lr = 0.05, InitialAccumulator = 0.1, WeightDecay = 0.01 },
        ["rmsprop"] = new() { Name = "rmsprop", Lr = 0.01 },
        ["rmsprop, momentum"] = new() { Name = "rmsprop", Lr = 0.01, Momentum = 0.9 },
        ["rmsprop, centered"] = new() { Name = "rmsprop", Lr = 0.01, Centered = true },
        ["rmsprop, centered + momentum, l2"] = new() { Name = "rmsprop", Lr = 0.01, Alpha = 0.9, Momentum = 0.9, Centered = true, WeightDecay = 0.01 },
        ["adam"] = new() { Name = "adam", Lr = 0.01 },
        ["adam, l2 + l1"] = new() { Name = "adam", Lr = 0.01, WeightDecay = 0.01, L1 = 1e-3 },
        ["amsgrad"] = new() { Name = "adam", Lr = 0.01, AmsGrad = true },
        ["adamw"] = new() { Name = "adamw", Lr = 0.01, WeightDecay = 0.1 },
        ["adamw, amsgrad"] = new() { Name = "adamw", Lr = 0.01, Beta2 = 0.99, AmsGrad = true },
        ["adam, clipped"] = new() { Name = "adam", Lr = 0.01, MaxGradNorm = 5 },
        ["nesterov, clipped, l2"] = new() { Name = "nesterov", Lr = 0.05, MaxGradNorm = 5, WeightDecay = 0.01 },
    };

    /// <summary>Each fused kernel on its own, from random state; FirstStep is the first-step flag of SGD's buffer.</summary>
    internal static readonly string[] Kernels =
    [
        "sgd", "momentum, first step", "momentum, dampening", "nesterov, first step", "nesterov",
        "adagrad", "rmsprop", "rmsprop, momentum", "rmsprop, centered", "rmsprop, centered + momentum",
        "adam", "amsgrad", "adam, decoupled decay", "amsgrad, decoupled decay",
    ];

    /// <summary>
    /// Σg² lengths: none, one lane's, fewer elements than lanes, and just over three sweeps of the reduction's 32,768
    /// lanes. The GPU tests add the edges of one sweep.
    /// </summary>
    internal static readonly int[] SumLengths = [0, 1, 1000, 100_003];

    private const int Length = 1003;

    private readonly IlgpuBackends _backends = new();

    public static TheoryData<string, bool> SettingsAndResidency()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Settings.Keys)
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    public static TheoryData<string, int> KernelsAndLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (var kernel in Kernels)
        {
            foreach (var length in new[] { 0, 1, Length })
            {
                data.Add(kernel, length);
            }
        }

        return data;
    }

    public static TheoryData<int> SumOfSquaresLengths() => new(SumLengths);

    /// <summary>
    /// <paramref name="settings"/> with global-norm clipping at 5 against step gradient norms of ~63, ~3, ~32 and ~3
    /// (<see cref="AssertStepsMatchCpu"/>), so steps 1 and 3 clip and steps 2 and 4 do not.
    /// </summary>
    internal static OptimizerSettings Clipped(OptimizerSettings settings) => settings with { MaxGradNorm = 5 };

    public static TheoryData<float, float> Penalties() => new() { { 0.01f, 0f }, { 0f, 1e-3f }, { 0.01f, 1e-3f } };

    public void Dispose() => _backends.Dispose();

    /// <param name="hostSynced">
    /// True: every call copies its tensors both ways (host semantics). False: as in training, only the gradients go
    /// in before a step and the parameters come out after it; optimizer state never leaves the device.
    /// </param>
    [Theory]
    [MemberData(nameof(SettingsAndResidency))]
    public void OptimizerStepsMatchTheCpuBackend(string settings, bool hostSynced)
    {
        var device = hostSynced ? _backends.Create() : _backends.CreateDeviceResident(IlgpuTestDevices.Cpu);
        AssertStepsMatchCpu(device, Settings[settings], Length, Relative);
    }

    [Theory]
    [MemberData(nameof(KernelsAndLengths))]
    public void UpdateKernelsMatchTheCpuBackendFromRandomState(string kernel, int length) =>
        AssertKernelMatchesCpu(_backends.Create(), kernel, length, Relative);

    [Theory]
    [MemberData(nameof(SumOfSquaresLengths))]
    public void SumOfSquaresMatchesTheCpuBackend(int length) => AssertSumOfSquaresMatchesCpu(_backends.Create(), length, repeat: false);

    [Theory]
    [MemberData(nameof(Penalties))]
    public void WeightPenaltyMatchesTheCpuBackend(float l2, float l1) => AssertPenaltyMatchesCpu(_backends.Create(), l2, l1, Length, Relative);

    /// <summary>
    /// Runs four steps of <paramref name="settings"/> on <paramref name="device"/> and on the CPU backend from the
    /// same parameters and gradients, comparing parameters after every step. Gradients change scale from step to
    /// step (so AMSGrad's maximum and clipping both switch) and include exact zeros, as dead ReLUs give.
    /// </summary>
    internal static void AssertStepsMatchCpu(IComputeBackend device, OptimizerSettings settings, int length, double relative)
    {
        var rng = new Rng(17);
        var initial = WithZeros(GradientCheck.Normal(rng, 1f, length), every: 101);
        var cpuParameters = Tensor.FromArray(initial.ToArray(), length);
        var cpuGradients = new Tensor(length);
        var deviceParameters = Tensor.FromArray(initial.ToArray(), length);
        var deviceGradients = new Tensor(length);
        var cpu = settings.Create(new CpuBackend(1), cpuParameters, cpuGradients, schedule: null);
        var onDevice = settings.Create(device, deviceParameters, deviceGradients, schedule: null);

        // Per-element scales giving the same gradient norms (2, 0.1, 1 and 0.1 times √1000) at any length.
        var perElement = MathF.Sqrt(1000f / Math.Max(length, 1));
        float[] scales = [2f, 0.1f, 1f, 0.1f];
        var clipped = 0;
        for (var step = 1; step <= scales.Length; step++)
        {
            var gradient = WithZeros(GradientCheck.Normal(rng, scales[step - 1] * perElement, length), every: 97).Span;
            gradient.CopyTo(cpuGradients.Span);
            gradient.CopyTo(deviceGradients.Span);
            device.Upload(deviceGradients);

            cpu.Step();
            onDevice.Step();
            device.Download(deviceParameters);

            Agreement.Elementwise(cpuParameters.Span, deviceParameters.Span, relative, Floor, $"{cpu.Name} parameters after step {step}");
            if (settings.MaxGradNorm is { } max)
            {
                Agreement.Scalar(cpu.LastGradNorm, onDevice.LastGradNorm, 1e-10, $"gradient norm at step {step}");
                clipped += cpu.LastGradNorm > max ? 1 : 0;
            }
        }

        // Moving at all, and clipping only some steps, is part of what is checked.
        Assert.NotEqual(initial.ToArray(), deviceParameters.ToArray());
        if (settings.MaxGradNorm is not null)
        {
            Assert.InRange(clipped, 1, scales.Length - 1);
        }
    }

    /// <summary>
    /// One call of <paramref name="kernel"/> on both backends from the same random parameters, gradients and state
    /// (signed where the state is signed, positive where it is a mean of squares); every tensor must agree after.
    /// </summary>
    internal static void AssertKernelMatchesCpu(IComputeBackend device, string kernel, int length, double relative)
    {
        var rng = new Rng(23);
        var p = GradientCheck.Normal(rng, 1f, length);
        var g = WithZeros(GradientCheck.Normal(rng, 1f, length), every: 97);
        var signed = GradientCheck.Normal(rng, 1f, length);
        var positive = Map(GradientCheck.Normal(rng, 1f, length), x => 0.5f + Math.Abs(x));

        // Below v for some elements, above for others; and for centering, a mean whose square stays below v.
        var other = Map(GradientCheck.Normal(rng, 1f, length), Math.Abs);
        var small = GradientCheck.Normal(rng, 0.1f, length);
        Tensor[] cpuTensors = [p, g, signed, positive, other, small];
        var deviceTensors = cpuTensors.Select(t => Tensor.FromArray(t.ToArray(), length)).ToArray();
        var before = p.ToArray();

        Apply(new CpuBackend(1), kernel, cpuTensors);
        Apply(device, kernel, deviceTensors);

        string[] names = ["parameters", "gradients", "signed state", "positive state", "second positive state", "small state"];
        for (var i = 0; i < names.Length; i++)
        {
            device.Download(deviceTensors[i]);
            Agreement.Elementwise(cpuTensors[i].Span, deviceTensors[i].Span, relative, Floor, $"{kernel}: {names[i]}");
        }

        if (length > 0)
        {
            Assert.NotEqual(before, deviceTensors[0].ToArray());
        }
    }

    /// <summary>
    /// Σx² over a slice that starts inside its storage, against the CPU backend's sequential double sum; with
    /// <paramref name="repeat"/>, a second call must give the same bits (the reduction's order is fixed).
    /// </summary>
    internal static void AssertSumOfSquaresMatchesCpu(IComputeBackend device, int length, bool repeat)
    {
        const int offset = 5;
        var storage = GradientCheck.Normal(new Rng(29), 3f, length + (2 * offset));
        var x = storage.Slice(offset, length);
        var expected = new CpuBackend(1).SumOfSquares(x);

        var sum = device.SumOfSquares(x);

        // Both add exact double squares and differ only in order, each within the worst-case rounding bound n·2⁻⁵³
        // of the exact sum: far below one element (≥ 1/(3n) of the total here) that a wrong bound would drop or add twice.
        if (length == 0)
        {
            Assert.Equal(0.0, sum);
        }
        else
        {
            Agreement.Scalar(expected, sum, 2 * length * Math.Pow(2, -53), $"Σx² of {length}");
            if (repeat)
            {
                Assert.Equal(sum, device.SumOfSquares(x));
            }
        }
    }

    /// <summary>g += l2·p + l1·sign(p) on a slice, p including exact zeros (sign 0); p itself must not change.</summary>
    internal static void AssertPenaltyMatchesCpu(IComputeBackend device, float l2, float l1, int length, double relative)
    {
        var rng = new Rng(31);
        var parameters = WithZeros(GradientCheck.Normal(rng, 1f, length + 3), every: 7).Slice(3, length);
        var gradients = GradientCheck.Normal(rng, 0.01f, length);
        var deviceParameters = Tensor.FromArray(parameters.ToArray(), length);
        var deviceGradients = Tensor.FromArray(gradients.ToArray(), length);

        new CpuBackend(1).AddWeightPenalty(parameters, gradients, l2, l1);
        device.AddWeightPenalty(deviceParameters, deviceGradients, l2, l1);
        device.Download(deviceParameters);
        device.Download(deviceGradients);

        Agreement.Elementwise(gradients.Span, deviceGradients.Span, relative, 1e-3, $"gradients + {l2}·p + {l1}·sign(p)");
        Assert.Equal(parameters.ToArray(), deviceParameters.ToArray());
    }

    private static void Apply(IComputeBackend b, string kernel, Tensor[] t)
    {
        var (p, g, signed, positive, other, small) = (t[0], t[1], t[2], t[3], t[4], t[5]);
        const float lr = 0.01f;

        // Mid-run bias corrections (step 3), so neither is 1 and the kernels' use of them shows.
        var c1 = 1f - MathF.Pow(0.9f, 3);
        var c2 = 1f - MathF.Pow(0.999f, 3);
        switch (kernel)
        {
            case "sgd": b.SgdUpdate(p, g, null, new SgdStep(lr, 0f, 0f, Nesterov: false, FirstStep: false)); break;
            case "momentum, first step": b.SgdUpdate(p, g, signed, new SgdStep(lr, 0.9f, 0.25f, Nesterov: false, FirstStep: true)); break;
            case "momentum, dampening": b.SgdUpdate(p, g, signed, new SgdStep(lr, 0.9f, 0.25f, Nesterov: false, FirstStep: false)); break;
            case "nesterov, first step": b.SgdUpdate(p, g, signed, new SgdStep(lr, 0.9f, 0f, Nesterov: true, FirstStep: true)); break;
            case "nesterov": b.SgdUpdate(p, g, signed, new SgdStep(lr, 0.9f, 0f, Nesterov: true, FirstStep: false)); break;
            case "adagrad": b.AdaGradUpdate(p, g, other, new AdaGradStep(lr, 1e-10f)); break;
            case "rmsprop": b.RmsPropUpdate(p, g, positive, null, null, new RmsPropStep(lr, 0.99f, 1e-8f, 0f, Centered: false)); break;
            case "rmsprop, momentum": b.RmsPropUpdate(p, g, positive, signed, null, new RmsPropStep(lr, 0.99f, 1e-8f, 0.9f, Centered: false)); break;
            case "rmsprop, centered": b.RmsPropUpdate(p, g, positive, null, small, new RmsPropStep(lr, 0.99f, 1e-8f, 0f, Centered: true)); break;
            case "rmsprop, centered + momentum": b.RmsPropUpdate(p, g, positive, signed, small, new RmsPropStep(lr, 0.9f, 1e-8f, 0.9f, Centered: true)); break;
            case "adam": b.AdamUpdate(p, g, signed, positive, null, new AdamStep(lr, 0.9f, 0.999f, 1e-8f, c1, c2, AmsGrad: false, DecoupledDecay: 0f)); break;
            case "amsgrad": b.AdamUpdate(p, g, signed, positive, other, new AdamStep(lr, 0.9f, 0.999f, 1e-8f, c1, c2, AmsGrad: true, DecoupledDecay: 0f)); break;
            case "adam, decoupled decay": b.AdamUpdate(p, g, signed, positive, null, new AdamStep(lr, 0.9f, 0.999f, 1e-8f, c1, c2, AmsGrad: false, DecoupledDecay: lr * 0.1f)); break;
            case "amsgrad, decoupled decay": b.AdamUpdate(p, g, signed, positive, other, new AdamStep(lr, 0.9f, 0.999f, 1e-8f, c1, c2, AmsGrad: true, DecoupledDecay: lr * 0.1f)); break;
            default: throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "unknown update kernel");
        }
    }

    private static Tensor WithZeros(Tensor t, int every)
    {
        for (var i = every - 1; i < t.Length; i += every)
        {
            t[i] = 0f;
        }

        return t;
    }

    private static Tensor Map(Tensor t, Func<float, float> f)
    {
        var s = t.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = f(s[i]);
        }

        return t;
    }
}

// The optimizers' published-formula trajectories (FixedProblem's oracle values), run again on the ILGPU backend.

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuSgdTests : SgdTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend Backend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuAdaGradTests : AdaGradTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend Backend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuRmsPropTests : RmsPropTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend Backend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuAdamTests : AdamTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend Backend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuAdamWTests : AdamWTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend Backend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}
