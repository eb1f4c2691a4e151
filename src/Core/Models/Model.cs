using Distributed.Core.Compute;
using Distributed.Core.Data;
using Distributed.Core.Layers;
using Distributed.Core.Losses;
using Distributed.Core.Telemetry;
using Distributed.Core.Tensors;

namespace Distributed.Core.Models;

/// <summary>A built network, its flat parameters and the loss it trains with.</summary>
public sealed class Model
{
    private readonly Dropout[] _dropouts;

    public Model(string name, Sequential network, int[] inputShape, Loss loss, IComputeBackend backend)
    {
        Name = name;
        Network = network;
        Loss = loss;
        Backend = backend;
        InputShape = inputShape;

        // Nobody consumes the gradient with respect to the data, so the first layer skips it.
        network.ComputeInputGradient = false;
        OutputShape = network.Build(inputShape, backend);
        Parameters = new ParameterSet(network.Parameters);
        _dropouts = [.. network.Layers.OfType<Dropout>()];
    }

    public string Name { get; }

    public Sequential Network { get; }

    public Loss Loss { get; }

    public IComputeBackend Backend { get; }

    public int[] InputShape { get; }

    public int[] OutputShape { get; }

    public ParameterSet Parameters { get; }

    public bool IsClassifier => Loss is SoftmaxCrossEntropy;

    /// <summary>
    /// Gathers <paramref name="indices"/> of <paramref name="data"/> into the batch tensors and hands them to the
    /// backend: the one host-to-device copy of a step.
    /// </summary>
    public void LoadBatch(Dataset data, ReadOnlySpan<int> indices, Tensor x, Tensor t)
    {
        data.Gather(indices, x, t);
        Backend.Upload(x);
        Backend.Upload(t);
    }

    /// <summary>Tells the layers that draw random masks which step and which global batch positions the next training forward holds.</summary>
    public void AtBatchPosition(long step, long firstPosition)
    {
        foreach (var dropout in _dropouts)
        {
            dropout.AtBatchPosition(step, firstPosition);
        }
    }

    public Tensor Forward(Tensor x, bool training)
    {
        using var span = Spans.StartPhase(Spans.Forward);
        return Network.Forward(x, training);
    }

    /// <summary>
    /// Backpropagates the loss gradient left by the last <see cref="Loss"/> computation, accumulating parameter
    /// gradients; <paramref name="layerDone"/> hears each top-level layer's index as its gradients become final.
    /// </summary>
    public void Backward(Action<int>? layerDone = null)
    {
        using var span = Spans.StartPhase(Spans.Backward);
        Network.Backward(Loss.Gradient, layerDone);
    }

    public string Describe() => $"{Name}: {Parameters.Count:N0} parameters{Environment.NewLine}{Network.Describe()}";
}
