using Distributed.Core.Compute;
using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// Gives a device backend the host semantics the backend-agnostic tests assume: every tensor argument is uploaded
/// before the call and downloaded after it, so a test can write inputs and read results through <see cref="Tensor.Span"/>
/// as it does with the CPU backend. Training never runs like this; it copies only batches and gradient buckets.
/// </summary>
internal sealed class HostSyncedBackend(IlgpuBackend inner) : IComputeBackend
{
    public IlgpuBackend Inner { get; } = inner;

    public string Name => Inner.Name;

    public void Upload(Tensor t) => Inner.Upload(t);

    public void Download(Tensor t) => Inner.Download(t);

    public void Fill(Tensor x, float value) => Synced(() => Inner.Fill(x, value), x);

    public void Copy(Tensor source, Tensor destination) => Synced(() => Inner.Copy(source, destination), source, destination);

    public void Scale(Tensor x, float alpha) => Synced(() => Inner.Scale(x, alpha), x);

    public double SumOfSquares(Tensor x) => Synced(() => Inner.SumOfSquares(x), x);

    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) =>
        Synced(() => Inner.Gemm(transposeA, transposeB, m, n, k, alpha, a, b, beta, c), a, b, c);

    public void AddRowBias(Tensor y, Tensor bias) => Synced(() => Inner.AddRowBias(y, bias), y, bias);

    public void AccumulateRowBiasGrad(Tensor dy, Tensor biasGrad) => Synced(() => Inner.AccumulateRowBiasGrad(dy, biasGrad), dy, biasGrad);

    public void ReluForward(Tensor x, Tensor y) => Synced(() => Inner.ReluForward(x, y), x, y);

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx) => Synced(() => Inner.ReluBackward(y, dy, dx), y, dy, dx);

    public void DropoutForward(Tensor x, Tensor mask, Tensor y, float p, ulong seed, long firstIndex) => Synced(() => Inner.DropoutForward(x, mask, y, p, seed, firstIndex), x, mask, y);

    public void Multiply(Tensor a, Tensor b, Tensor c) => Synced(() => Inner.Multiply(a, b, c), a, b, c);

    public void ActivationForward(ActivationFunction f, Tensor x, Tensor y) => Synced(() => Inner.ActivationForward(f, x, y), x, y);

    public void ActivationBackward(ActivationFunction f, Tensor x, Tensor y, Tensor dy, Tensor dx) =>
        Synced(() => Inner.ActivationBackward(f, x, y, dy, dx), x, y, dy, dx);

    public void Conv2dForward(Tensor x, Tensor weight, Tensor bias, Tensor y, ConvGeometry g, Tensor workspace) =>
        Synced(() => Inner.Conv2dForward(x, weight, bias, y, g, workspace), x, weight, bias, y);

    public void Conv2dBackward(Tensor x, Tensor weight, Tensor dy, Tensor weightGrad, Tensor biasGrad, Tensor? dx, ConvGeometry g, Tensor workspace) =>
        Synced(() => Inner.Conv2dBackward(x, weight, dy, weightGrad, biasGrad, dx, g, workspace), x, weight, dy, weightGrad, biasGrad, dx);

    public int ConvWorkspaceLength(ConvGeometry g, int outChannels, int batch) => Inner.ConvWorkspaceLength(g, outChannels, batch);

    public void MaxPoolForward(Tensor x, Tensor y, ConvGeometry g) => Synced(() => Inner.MaxPoolForward(x, y, g), x, y);

    public void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, ConvGeometry g) => Synced(() => Inner.MaxPoolBackward(x, dy, dx, g), x, dy, dx);

    public void AvgPoolForward(Tensor x, Tensor y, ConvGeometry g) => Synced(() => Inner.AvgPoolForward(x, y, g), x, y);

    public void AvgPoolBackward(Tensor dy, Tensor dx, ConvGeometry g) => Synced(() => Inner.AvgPoolBackward(dy, dx, g), dy, dx);

    public double SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor dLogits, float gradScale) =>
        Synced(() => Inner.SoftmaxCrossEntropy(logits, targets, dLogits, gradScale), logits, targets, dLogits);

    public double SquaredError(Tensor predictions, Tensor targets, Tensor dPredictions, float gradScale) =>
        Synced(() => Inner.SquaredError(predictions, targets, dPredictions, gradScale), predictions, targets, dPredictions);

    public int CountCorrect(Tensor logits, Tensor targets) => Synced(() => Inner.CountCorrect(logits, targets), logits, targets);

    public void AddWeightPenalty(Tensor parameters, Tensor gradients, float l2, float l1) =>
        Synced(() => Inner.AddWeightPenalty(parameters, gradients, l2, l1), parameters, gradients);

    public void SgdUpdate(Tensor parameters, Tensor gradients, Tensor? momentumBuffer, SgdStep s) =>
        Synced(() => Inner.SgdUpdate(parameters, gradients, momentumBuffer, s), parameters, gradients, momentumBuffer);

    public void AdaGradUpdate(Tensor parameters, Tensor gradients, Tensor sum, AdaGradStep s) =>
        Synced(() => Inner.AdaGradUpdate(parameters, gradients, sum, s), parameters, gradients, sum);

    public void RmsPropUpdate(Tensor parameters, Tensor gradients, Tensor squareAverage, Tensor? momentumBuffer, Tensor? gradAverage, RmsPropStep s) =>
        Synced(() => Inner.RmsPropUpdate(parameters, gradients, squareAverage, momentumBuffer, gradAverage, s), parameters, gradients, squareAverage, momentumBuffer, gradAverage);

    public void AdamUpdate(Tensor parameters, Tensor gradients, Tensor m, Tensor v, Tensor? vMax, AdamStep s) =>
        Synced(() => Inner.AdamUpdate(parameters, gradients, m, v, vMax, s), parameters, gradients, m, v, vMax);

    private void Synced(Action call, params Tensor?[] tensors) => Synced(() =>
    {
        call();
        return 0;
    }, tensors);

    private T Synced<T>(Func<T> call, params Tensor?[] tensors)
    {
        foreach (var t in tensors)
        {
            if (t is not null)
            {
                Inner.Upload(t);
            }
        }

        var result = call();
        foreach (var t in tensors)
        {
            if (t is not null)
            {
                Inner.Download(t);
            }
        }

        return result;
    }
}
