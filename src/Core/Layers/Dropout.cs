using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>
/// Inverted dropout: in training each activation is zeroed with probability p and the survivors scaled by 1/(1−p),
/// so evaluation is the identity. A unit's mask comes from (seed, step, the sample's position in the global batch,
/// the unit), nothing else: a seeded run drops the same units, however many ranks share the batch, however it is
/// cut into micro-batches, and after a resume from a checkpoint (no mask state to save).
/// </summary>
public sealed class Dropout : Layer
{
    private readonly ulong _seed;
    private BatchBuffer _output = new();
    private BatchBuffer _mask = new();
    private BatchBuffer _inputGrad = new();
    private Tensor? _lastMask;
    private long _step;
    private long _firstPosition;

    public Dropout(float p, ulong seed)
    {
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        }

        P = p;
        _seed = seed;
    }

    public float P { get; }

    public override string Describe() => $"Dropout(p={P})";

    protected override int[] BuildCore(int[] inputShape)
    {
        _output = new BatchBuffer(inputShape);
        _mask = new BatchBuffer(inputShape);
        _inputGrad = new BatchBuffer(inputShape);
        return inputShape;
    }

    /// <summary>The step the next training forward belongs to, and its first sample's position in the global batch.</summary>
    public void AtBatchPosition(long step, long firstPosition)
    {
        _step = step;
        _firstPosition = firstPosition;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        if (!training || P == 0f)
        {
            _lastMask = null;
            return x;
        }

        var n = x.Dim(0);
        var y = _output.For(n);
        var mask = _mask.For(n);
        var unitsPerSample = x.Length / n;
        Backend.DropoutForward(x, mask, y, P, Rng.Mix(_seed ^ Rng.Mix((ulong)_step)), _firstPosition * unitsPerSample);
        _lastMask = mask;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!ComputeInputGradient)
        {
            return null;
        }

        if (_lastMask is null)
        {
            return dy;
        }

        var dx = _inputGrad.For(dy.Dim(0));
        Backend.Multiply(dy, _lastMask, dx);
        return dx;
    }
}
