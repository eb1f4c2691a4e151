using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;
using Distributed.Core.Tests.Losses;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// The ILGPU backend on a CUDA GPU against the CPU backend at the sizes training uses: the MLP's GEMMs, the CNN's
/// convolutions and pools, the loss over a batch, every optimizer over 100,000 parameters, and whole training steps.
/// Cases that multiply matrices run with the tiled kernel and with cuBLAS. Skipped, saying why, without a GPU; the
/// cuBLAS cases also without a loadable libcublas.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuCudaBackendTests : IDisposable
{
    /// <summary>
    /// Relative L2 for the layer kernels. Their sums run to 8,192 products (a weight gradient over 8 images of
    /// 32×32), which two float summation orders round apart by up to ~1e-5; one wrong element among the ≥ 16k of
    /// any output here already costs ~1e-2.
    /// </summary>
    private const double KernelTolerance = 5e-5;

    /// <summary>The optimizer updates, per element (see <see cref="IlgpuOptimizerTests.Relative"/>), with room for FMA.</summary>
    private const double UpdateTolerance = 1e-5;

    private const int OptimizerLength = 100_000;

    private readonly IlgpuBackends _backends = new();

    public static TheoryData<bool, bool> Transposes() => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    /// <summary>The CNN's two convolutions: in channels, image size, out channels (3×3, padding 1).</summary>
    public static TheoryData<int, int, int> ConvLayers() => new() { { 3, 32, 32 }, { 32, 16, 64 } };

    /// <summary>The CNN's two 2×2 pools: channels, image size.</summary>
    public static TheoryData<int, int> PoolLayers() => new() { { 32, 32 }, { 64, 16 } };

    public static TheoryData<string, string> ModelsAndOptimizers() =>
        new() { { "mlp", "momentum" }, { "mlp", "adam" }, { "cnn", "momentum" }, { "cnn", "adam" } };

    public static TheoryData<string, bool> SettingsAndClipping()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in IlgpuOptimizerTests.Settings.Keys)
        {
            data.Add(name, false);
            data.Add(name, true);
        }

        return data;
    }

    public static TheoryData<string> UpdateKernels() => new(IlgpuOptimizerTests.Kernels);

    /// <summary>The CPU accelerator's lengths, the edges of one sweep of the reduction's 32,768 lanes, and 4M.</summary>
    public static TheoryData<int> SumOfSquaresLengths() => new([.. IlgpuOptimizerTests.SumLengths, 128 * 256, (128 * 256) + 1, 1 << 22]);

    public void Dispose() => _backends.Dispose();

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Transposes))]
    public void TiledGemmMatchesTheCpuBackend(bool transposeA, bool transposeB) =>
        AssertGemmMatchesCpu(IlgpuGemmChoice.Tiled, transposeA, transposeB);

    [CuBlasTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Transposes))]
    public void CuBlasGemmMatchesTheCpuBackend(bool transposeA, bool transposeB) =>
        AssertGemmMatchesCpu(IlgpuGemmChoice.CuBlas, transposeA, transposeB);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(ConvLayers))]
    public void ConvolutionWithTiledGemmMatchesTheCpuBackend(int channels, int size, int outChannels) =>
        AssertConvolutionMatchesCpu(IlgpuGemmChoice.Tiled, channels, size, outChannels);

    [CuBlasTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(ConvLayers))]
    public void ConvolutionWithCuBlasMatchesTheCpuBackend(int channels, int size, int outChannels) =>
        AssertConvolutionMatchesCpu(IlgpuGemmChoice.CuBlas, channels, size, outChannels);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(PoolLayers))]
    public void MaxPoolMatchesTheCpuBackendExactly(int channels, int size)
    {
        const int batch = 8;
        var g = new ConvGeometry(channels, size, size, 2, 2, 2, 0);
        var rng = new Rng(47);
        var x = GradientCheck.Normal(rng, 1f, batch * channels * size * size);
        var dy = GradientCheck.Normal(rng, 1f, batch * channels * g.OutputPlane);

        var expected = Pool(new CpuBackend(Environment.ProcessorCount), x, dy, g, batch);
        var actual = Pool(_backends.Create(IlgpuTestDevices.Cuda), x, dy, g, batch);

        // Selecting a maximum and routing dy to it involve no rounding: both backends give the same bits.
        Assert.Equal(expected.Y, actual.Y);
        Assert.Equal(expected.Dx, actual.Dx);
    }

    [GpuFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void SoftmaxCrossEntropyOverABatchMatchesTheCpuBackend()
    {
        const int rows = 128, classes = 10;
        var logits = GradientCheck.Normal(new Rng(53), 3f, rows, classes);
        var targets = CrossEntropyReference.RandomTargets(new Rng(59), rows, classes);
        var cpu = new CpuBackend(Environment.ProcessorCount);
        var device = _backends.Create(IlgpuTestDevices.Cuda);
        var expected = new Tensor(rows, classes);
        var actual = new Tensor(rows, classes);

        var expectedLoss = cpu.SoftmaxCrossEntropy(logits, targets, expected, 1f / rows);
        var loss = device.SoftmaxCrossEntropy(logits, targets, actual, 1f / rows);

        Agreement.Scalar(expectedLoss, loss, 1e-5, "summed loss");
        Agreement.RelativeL2(expected.Span, actual.Span, 1e-5, "logit gradients");
        Assert.Equal(cpu.CountCorrect(logits, targets), device.CountCorrect(logits, targets));
    }

    /// <summary>As training runs them: state stays on the GPU, gradients go in and parameters come out each step.</summary>
    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(SettingsAndClipping))]
    public void OptimizerStepsOverAHundredThousandParametersMatchTheCpuBackend(string settings, bool clipped)
    {
        var chosen = IlgpuOptimizerTests.Settings[settings];
        IlgpuOptimizerTests.AssertStepsMatchCpu(
            _backends.CreateDeviceResident(IlgpuTestDevices.Cuda), clipped ? IlgpuOptimizerTests.Clipped(chosen) : chosen, OptimizerLength, UpdateTolerance);
    }

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(UpdateKernels))]
    public void UpdateKernelsOverAHundredThousandParametersMatchTheCpuBackend(string kernel) =>
        IlgpuOptimizerTests.AssertKernelMatchesCpu(_backends.Create(IlgpuTestDevices.Cuda), kernel, OptimizerLength, UpdateTolerance);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(SumOfSquaresLengths))]
    public void SumOfSquaresMatchesTheCpuBackend(int length) =>
        IlgpuOptimizerTests.AssertSumOfSquaresMatchesCpu(_backends.Create(IlgpuTestDevices.Cuda), length, repeat: true);

    [GpuFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void WeightPenaltyMatchesTheCpuBackend() =>
        IlgpuOptimizerTests.AssertPenaltyMatchesCpu(_backends.Create(IlgpuTestDevices.Cuda), 0.01f, 1e-3f, OptimizerLength, UpdateTolerance);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(ModelsAndOptimizers))]
    public void TrainingStepsWithTiledGemmMatchTheCpuBackend(string model, string optimizer) =>
        AssertTrainingMatchesCpu(model, optimizer, IlgpuGemmChoice.Tiled);

    [CuBlasTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(ModelsAndOptimizers))]
    public void TrainingStepsWithCuBlasMatchTheCpuBackend(string model, string optimizer) =>
        AssertTrainingMatchesCpu(model, optimizer, IlgpuGemmChoice.CuBlas);

    /// <summary>C = 1.5·op(A)·op(B) − 0.5·C at the MLP's first layer: a batch of 128 MNIST images into 256 units.</summary>
    private void AssertGemmMatchesCpu(IlgpuGemmChoice gemm, bool transposeA, bool transposeB)
    {
        const int m = 128, n = 256, k = 784;
        var rng = new Rng(37);
        var a = GradientCheck.Normal(rng, 1f, m * k);
        var b = GradientCheck.Normal(rng, 1f, k * n);
        var c = GradientCheck.Normal(rng, 1f, m * n);
        var expected = Tensor.FromArray(c.ToArray(), m * n);

        new CpuBackend(Environment.ProcessorCount).Gemm(transposeA, transposeB, m, n, k, 1.5f, a, b, -0.5f, expected);
        _backends.Create(IlgpuTestDevices.Cuda, gemm).Gemm(transposeA, transposeB, m, n, k, 1.5f, a, b, -0.5f, c);

        Agreement.RelativeL2(expected.Span, c.Span, KernelTolerance, $"{gemm} C = 1.5·A{(transposeA ? "ᵀ" : "")}·B{(transposeB ? "ᵀ" : "")} − 0.5·C");
    }

    /// <summary>Forward, then backward into accumulating weight and bias gradients and an overwritten dx, for a batch of 8.</summary>
    private void AssertConvolutionMatchesCpu(IlgpuGemmChoice gemm, int channels, int size, int outChannels)
    {
        const int batch = 8;
        var g = new ConvGeometry(channels, size, size, 3, 3, 1, 1);
        var rng = new Rng(41);
        var inputs = new ConvInputs(
            X: GradientCheck.Normal(rng, 1f, batch * channels * size * size),
            Weight: GradientCheck.Normal(rng, MathF.Sqrt(2f / g.PatchSize), outChannels * g.PatchSize),
            Bias: GradientCheck.Normal(rng, 0.1f, outChannels),
            Dy: GradientCheck.Normal(rng, 1f, batch * outChannels * g.OutputPlane),
            WeightGrad: GradientCheck.Normal(rng, 1f, outChannels * g.PatchSize),
            BiasGrad: GradientCheck.Normal(rng, 1f, outChannels));

        var expected = Convolve(new CpuBackend(Environment.ProcessorCount), inputs, g, batch, outChannels);
        var actual = Convolve(_backends.Create(IlgpuTestDevices.Cuda, gemm), inputs, g, batch, outChannels);

        var layer = $"{gemm}: {channels}×{size}×{size} → {outChannels}";
        Agreement.RelativeL2(expected.Y, actual.Y, KernelTolerance, $"{layer} y");
        Agreement.RelativeL2(expected.WeightGrad, actual.WeightGrad, KernelTolerance, $"{layer} weight gradient");
        Agreement.RelativeL2(expected.BiasGrad, actual.BiasGrad, KernelTolerance, $"{layer} bias gradient");
        Agreement.RelativeL2(expected.Dx, actual.Dx, KernelTolerance, $"{layer} dx");
    }

    /// <summary>
    /// Three steps of a model from the zoo with the <see cref="Trainer"/>, on the GPU as training runs (only batches
    /// go in; the parameters come out once at the end) and on the CPU backend, from the same initialisation.
    /// </summary>
    private void AssertTrainingMatchesCpu(string model, string optimizer, IlgpuGemmChoice gemm)
    {
        const int batch = 32, steps = 3;
        int[] shape = model == "cnn" ? [3, 32, 32] : [1, 28, 28];
        var data = SyntheticData.Create(shape, classes: 10, count: batch * steps, seed: 61);
        var settings = new OptimizerSettings { Name = optimizer, Lr = optimizer == "adam" ? 1e-3 : 0.05, MaxGradNorm = 5 };

        var expected = Train(new CpuBackend(Environment.ProcessorCount), model, data, settings, batch, steps);
        var actual = Train(_backends.CreateDeviceResident(IlgpuTestDevices.Cuda, gemm), model, data, settings, batch, steps);

        var run = $"{model} with {optimizer}, {gemm} GEMM";
        Assert.Equal(expected.Initial, actual.Initial);
        for (var s = 0; s < steps; s++)
        {
            Agreement.Scalar(expected.Losses[s], actual.Losses[s], 1e-5, $"{run}: loss at step {s + 1}");
        }

        Agreement.RelativeL2(expected.Final, actual.Final, 1e-4, $"{run}: parameters after {steps} steps");

        // The parameters barely move in three steps; their change is the sharper test of the gradients and updates.
        Agreement.RelativeL2(Change(expected), Change(actual), 1e-3, $"{run}: parameter change over {steps} steps");

        static float[] Change((float[] Initial, float[] Final, double[] Losses) r) => r.Final.Select((p, i) => p - r.Initial[i]).ToArray();
    }

    private static (float[] Initial, float[] Final, double[] Losses) Train(
        IComputeBackend backend, string name, Dataset data, OptimizerSettings settings, int batch, int steps)
    {
        var model = ModelZoo.Create(name, data.SampleShape, data.Classes, backend, new ModelOptions(Seed: 67));
        var initial = model.Parameters.Values.ToArray();
        var optimizer = settings.Create(backend, model.Parameters.Values, model.Parameters.Gradients, schedule: null);
        var trainer = new Trainer(model, optimizer, new TrainOptions(Epochs: 1, BatchSize: batch, Seed: 67), data.TargetLength);
        var losses = new double[steps];
        for (var s = 0; s < steps; s++)
        {
            losses[s] = trainer.TrainStep(data, Enumerable.Range(s * batch, batch).ToArray()).Loss;
        }

        backend.Download(model.Parameters.Values);
        return (initial, model.Parameters.Values.ToArray(), losses);
    }

    private static (float[] Y, float[] WeightGrad, float[] BiasGrad, float[] Dx) Convolve(
        IComputeBackend backend, ConvInputs inputs, ConvGeometry g, int batch, int outChannels)
    {
        var y = new Tensor(batch * outChannels * g.OutputPlane);
        var weightGrad = Tensor.FromArray(inputs.WeightGrad.ToArray(), inputs.WeightGrad.Length);
        var biasGrad = Tensor.FromArray(inputs.BiasGrad.ToArray(), inputs.BiasGrad.Length);
        var dx = new Tensor(inputs.X.Length);
        dx.Span.Fill(float.NaN);
        var workspace = new Tensor(backend.ConvWorkspaceLength(g, outChannels, batch));

        // Backward reads the forward's im2col from the workspace, as the layer arranges.
        backend.Conv2dForward(inputs.X, inputs.Weight, inputs.Bias, y, g, workspace);
        backend.Conv2dBackward(inputs.X, inputs.Weight, inputs.Dy, weightGrad, biasGrad, dx, g, workspace);
        return (y.ToArray(), weightGrad.ToArray(), biasGrad.ToArray(), dx.ToArray());
    }

    private static (float[] Y, float[] Dx) Pool(IComputeBackend backend, Tensor x, Tensor dy, ConvGeometry g, int batch)
    {
        var y = new Tensor(batch * g.Channels * g.OutputPlane);
        var dx = new Tensor(x.Length);
        dx.Span.Fill(float.NaN);
        backend.MaxPoolForward(x, y, g);
        backend.MaxPoolBackward(x, dy, dx, g);
        return (y.ToArray(), dx.ToArray());
    }

    private sealed record ConvInputs(Tensor X, Tensor Weight, Tensor Bias, Tensor Dy, Tensor WeightGrad, Tensor BiasGrad);
}
