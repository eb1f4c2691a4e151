using Distributed.Core.Data;
using Distributed.Core.Layers;
using Distributed.Core.Models;
using Distributed.Core.Tensors;
using Distributed.Core.Training;

namespace Distributed.Core.FullBatch;

/// <summary>
/// A model's loss over a fixed set of samples as a closure: the point goes into the parameters, then
/// <see cref="StepBody"/>'s forward and backward in chunks (so a whole training set never needs one batch's
/// activations), the chunks' gradients summed in double precision. Each chunk's loss is divided by
/// <see cref="Divisor"/>, so on a rank holding a shard the results are its share of the whole set's mean, as in
/// <see cref="StepBody"/>. Hessian-vector products are offered for models linear in their parameters (linreg,
/// logreg), where J·v is the network's own output with the parameters set to v.
/// </summary>
public sealed class ModelObjective : IObjective, ICurvature
{
    /// <summary>Samples per forward pass: big enough for the GEMMs to be efficient, small enough for a cnn's activations.</summary>
    public const int DefaultChunk = 1024;

    private readonly Model _model;
    private readonly Dataset _data;
    private readonly StepBody _body;
    private readonly int _chunk;
    private readonly BatchBuffer _inputs;
    private readonly BatchBuffer _targets;
    private float[] _curvaturePoint = [];
    private float[] _directionOutputs = [];
    private long _evaluations;

    public ModelObjective(Model model, Dataset data, int chunk = DefaultChunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        _model = model;
        _data = data;
        _chunk = chunk;
        _body = new StepBody(model, data.TargetLength);
        _inputs = new BatchBuffer(model.InputShape);
        _targets = new BatchBuffer(data.TargetLength);
        Samples = Enumerable.Range(0, data.Count).ToArray();
        Divisor = data.Count;
    }

    public int Dimension => _model.Parameters.Count;

    /// <summary>The samples the loss is summed over (all of them until <see cref="Use"/>).</summary>
    public ReadOnlyMemory<int> Samples { get; private set; }

    /// <summary>What the summed loss is divided by: the whole training set's size, also on a rank with a shard of it.</summary>
    public int Divisor { get; private set; }

    /// <summary>Whether <see cref="HessianTimesAsync"/> is exact for <paramref name="model"/>: its output must be linear in its parameters.</summary>
    public static bool HasCurvature(Model model) =>
        model.Network.Layers.All(l => l is Flatten or Linear) && model.Network.Layers.Count(l => l is Linear) == 1;

    /// <summary>
    /// Sums over <paramref name="samples"/> from now on, divided by <paramref name="divisor"/>. They are taken in
    /// ascending order, whatever order they come in: the set is the same every iteration and its float sums then
    /// are too, so one rank given a shuffled whole set computes exactly what one process computes.
    /// </summary>
    public void Use(ReadOnlySpan<int> samples, int divisor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisor);
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        Samples = sorted;
        Divisor = divisor;
    }

    public ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        SetParameters(x);
        Array.Clear(gradient);
        double loss = 0;
        long correct = 0;
        _evaluations++;
        for (var start = 0; start < Samples.Length; start += _chunk)
        {
            cancel.ThrowIfCancellationRequested();
            var indices = Samples.Span.Slice(start, Math.Min(_chunk, Samples.Length - start));
            var (chunkLoss, chunkCorrect) = _body.Train(_data, indices, Divisor, _evaluations);
            if (!double.IsFinite(chunkLoss))
            {
                // A line-search trial that overflowed is a step too far, which the search handles as such.
                Array.Clear(gradient);
                return ValueTask.FromResult(new ObjectiveValue(double.PositiveInfinity, 0));
            }

            loss += chunkLoss;
            correct += chunkCorrect;
            AddGradients(gradient);
        }

        return ValueTask.FromResult(new ObjectiveValue(loss, correct));
    }

    public ValueTask AtAsync(double[] x, CancellationToken cancel)
    {
        if (!HasCurvature(_model))
        {
            throw new InvalidOperationException($"Hessian-vector products need a model linear in its parameters (linreg, logreg), not {_model.Name}");
        }

        _curvaturePoint = ToFloats(x);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// ∇²f·v = Σ Jᵀ ∇²ℓ J v over the samples. For a linear network J·v is its output with the parameters set to v
    /// (the bias part included), so per chunk: a forward at v, a forward at the point, the loss's curvature applied
    /// on the host, and a backward of that as the output gradient.
    /// </summary>
    public ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel)
    {
        var values = _model.Parameters.Values;
        var direction = ToFloats(v);
        Array.Clear(result);
        for (var start = 0; start < Samples.Length; start += _chunk)
        {
            cancel.ThrowIfCancellationRequested();
            var indices = Samples.Span.Slice(start, Math.Min(_chunk, Samples.Length - start));
            var xb = _inputs.For(indices.Length);
            var tb = _targets.For(indices.Length);
            _model.LoadBatch(_data, indices, xb, tb);

            direction.CopyTo(values.Span);
            _model.Backend.Upload(values);
            var jv = _model.Forward(xb, training: true);
            _model.Backend.Download(jv);
            if (_directionOutputs.Length < jv.Length)
            {
                _directionOutputs = new float[jv.Length];
            }

            jv.Span.CopyTo(_directionOutputs);

            _curvaturePoint.CopyTo(values.Span);
            _model.Backend.Upload(values);
            var y = _model.Forward(xb, training: true);
            _model.Loss.Compute(y, tb, Divisor);
            _model.Backend.Download(y);
            var outputGradient = _model.Loss.Gradient;
            _model.Loss.CurvatureTimes(y.Span, _directionOutputs.AsSpan(0, y.Length), outputGradient.Span, y.RowLength, Divisor);
            _model.Backend.Upload(outputGradient);
            _model.Backend.Fill(_model.Parameters.Gradients, 0f);
            _model.Backward();
            AddGradients(result);
        }

        return ValueTask.CompletedTask;
    }

    private void SetParameters(double[] x)
    {
        var values = _model.Parameters.Values;
        var span = values.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (float)x[i];
        }

        _model.Backend.Upload(values);
    }

    private void AddGradients(double[] sum)
    {
        var gradients = _model.Parameters.Gradients;
        _model.Backend.Download(gradients);
        var g = gradients.Span;
        for (var i = 0; i < sum.Length; i++)
        {
            sum[i] += g[i];
        }
    }

    private static float[] ToFloats(double[] x) => Array.ConvertAll(x, v => (float)v);
}
