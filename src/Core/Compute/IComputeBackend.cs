using Distributed.Core.Tensors;

namespace Distributed.Core.Compute;

/// <summary>
/// Every piece of arithmetic that layers, losses and optimizers perform. Layers describe what to compute;
/// a backend decides how (managed loops, SIMD, a GPU). Operations are coarse where a backend benefits from
/// owning the whole algorithm (convolution, pooling, the loss, each optimizer's fused update).
/// All matrices are row-major; "NCHW" tensors are batches of channel planes.
/// An instance serves one thread at a time (it may keep scratch buffers); give each worker its own.
/// </summary>
public interface IComputeBackend
{
    string Name { get; }

    /// <summary>
    /// The host has written <paramref name="t"/>'s elements (a batch, gathered or loaded parameters): a backend
    /// that keeps tensors in device memory copies them over. Free on the CPU, where host memory is the tensor.
    /// </summary>
    void Upload(Tensor t);

    /// <summary>
    /// Makes <paramref name="t"/>'s host elements current before the host reads them (gradients for the
    /// collectives, parameters for a checkpoint). Free on the CPU.
    /// </summary>
    void Download(Tensor t);

    void Fill(Tensor x, float value);

    void Copy(Tensor source, Tensor destination);

    /// <summary>x *= alpha.</summary>
    void Scale(Tensor x, float alpha);

    /// <summary>Σ x², accumulated in double.</summary>
    double SumOfSquares(Tensor x);

    /// <summary>C = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n.</summary>
    void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /// <summary>y[i, j] += bias[j] for a rows×bias.Length matrix.</summary>
    void AddRowBias(Tensor y, Tensor bias);

    /// <summary>biasGrad[j] += Σᵢ dy[i, j].</summary>
    void AccumulateRowBiasGrad(Tensor dy, Tensor biasGrad);

    /// <summary>y = max(x, 0).</summary>
    void ReluForward(Tensor x, Tensor y);

    /// <summary>dx = dy where y &gt; 0, else 0.</summary>
    void ReluBackward(Tensor y, Tensor dy, Tensor dx);

    /// <summary>
    /// Inverted dropout: mask[i] = 1/(1−p) with probability 1−p, else 0, drawn from a counter-based hash of
    /// (seed, <paramref name="firstIndex"/> + i) so that every backend produces the same mask, and a batch cut into
    /// parts at any row draws the same mask as the whole; then y = x ⊙ mask.
    /// </summary>
    void DropoutForward(Tensor x, Tensor mask, Tensor y, float p, ulong seed, long firstIndex);

    /// <summary>c = a ⊙ b.</summary>
    void Multiply(Tensor a, Tensor b, Tensor c);

    /// <summary>y = f(x) element-wise; y may be x.</summary>
    void ActivationForward(ActivationFunction f, Tensor x, Tensor y);

    /// <summary>dx = dy ⊙ f′(x), given the forward's x and y = f(x) (each function reads whichever is cheaper).</summary>
    void ActivationBackward(ActivationFunction f, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /// <summary>
    /// y[n, co] = bias[co] + Σ w[co, ci, kh, kw] · x[n, ci, ...] over batch x (NCHW). <paramref name="workspace"/>
    /// holds at least <see cref="ConvWorkspaceLength"/> floats.
    /// </summary>
    void Conv2dForward(Tensor x, Tensor weight, Tensor bias, Tensor y, ConvGeometry g, Tensor workspace);

    /// <summary>
    /// Accumulates weight and bias gradients; writes dx unless it is null (the first layer needs none).
    /// Call once per forward: the workspace the forward left may be reused as scratch here.
    /// </summary>
    void Conv2dBackward(Tensor x, Tensor weight, Tensor dy, Tensor weightGrad, Tensor biasGrad, Tensor? dx, ConvGeometry g, Tensor workspace);

    int ConvWorkspaceLength(ConvGeometry g, int outChannels, int batch);

    void MaxPoolForward(Tensor x, Tensor y, ConvGeometry g);

    /// <summary>Routes each dy to the first maximal input of its window (PyTorch's tie rule); dx is overwritten.</summary>
    void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, ConvGeometry g);

    /// <summary>Each window's mean (no padding; every window lies inside the plane).</summary>
    void AvgPoolForward(Tensor x, Tensor y, ConvGeometry g);

    /// <summary>Spreads each dy evenly over its window, summing where windows overlap; dx is overwritten.</summary>
    void AvgPoolBackward(Tensor dy, Tensor dx, ConvGeometry g);

    /// <summary>
    /// Softmax cross-entropy over rows of logits with integer class targets (stored as floats). Writes
    /// dLogits = (softmax − onehot) · gradScale and returns Σ per-row loss (computed with log-sum-exp).
    /// </summary>
    double SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor dLogits, float gradScale);

    /// <summary>Writes dPred = 2(pred − target) · gradScale and returns Σ (pred − target)².</summary>
    double SquaredError(Tensor predictions, Tensor targets, Tensor dPredictions, float gradScale);

    /// <summary>Rows whose largest logit is at the target class.</summary>
    int CountCorrect(Tensor logits, Tensor targets);

    /// <summary>grad += l2 · p + l1 · sign(p): coupled weight decay and L1 regularisation.</summary>
    void AddWeightPenalty(Tensor parameters, Tensor gradients, float l2, float l1);

    void SgdUpdate(Tensor parameters, Tensor gradients, Tensor? momentumBuffer, SgdStep s);

    void AdaGradUpdate(Tensor parameters, Tensor gradients, Tensor sum, AdaGradStep s);

    void RmsPropUpdate(Tensor parameters, Tensor gradients, Tensor squareAverage, Tensor? momentumBuffer, Tensor? gradAverage, RmsPropStep s);

    void AdamUpdate(Tensor parameters, Tensor gradients, Tensor m, Tensor v, Tensor? vMax, AdamStep s);
}
