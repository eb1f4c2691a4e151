using System.Globalization;
using Distributed.Core.Models.Description;

namespace Distributed;

/// <summary>
/// A feed-forward network described in code, one layer after another, as in Keras' Sequential. Its
/// <see cref="Description"/> is the text `--model` takes, which is what travels to every worker of a job; input
/// sizes come from the data when training starts.
/// </summary>
/// <example>
/// <code>
/// var net = new Network().Conv2d(16, 3, padding: 1).ReLU().MaxPool2d(2).Flatten().Linear(64).GELU().Linear(10);
/// </code>
/// </example>
public sealed class Network
{
    private readonly List<string> _layers = [];

    /// <summary>The network as description text, checked (aliases resolved, defaults dropped).</summary>
    public string Description => _layers.Count == 0
        ? throw new InvalidOperationException("the network has no layers")
        : NetworkDescription.Parse(string.Join(' ', _layers), nameof(Network)).Text;

    /// <summary>A network from description text, e.g. "flatten linear(128) relu linear(10)".</summary>
    /// <exception cref="ArgumentException">The text is not a network; the message names the position and the problem.</exception>
    public static Network Parse(string description)
    {
        var network = new Network();
        network._layers.Add(NetworkDescription.Parse(description, nameof(description)).Text);
        return network;
    }

    /// <summary>A fully connected layer with <paramref name="outFeatures"/> outputs (y = x·Wᵀ + b).</summary>
    public Network Linear(int outFeatures) => Add($"linear({outFeatures})");

    /// <summary>A 2-D convolution with a square kernel over CxHxW samples.</summary>
    public Network Conv2d(int outChannels, int kernel, int stride = 1, int padding = 0) => Add($"conv({outChannels},{kernel},stride={stride},pad={padding})");

    /// <summary>Max pooling over square windows; the stride defaults to the window.</summary>
    public Network MaxPool2d(int kernel, int? stride = null) => Add($"maxpool({kernel},stride={stride ?? kernel})");

    /// <summary>Average pooling over square windows; the stride defaults to the window.</summary>
    public Network AvgPool2d(int kernel, int? stride = null) => Add($"avgpool({kernel},stride={stride ?? kernel})");

    /// <summary>Each sample as a vector (before the first <see cref="Linear"/> on images).</summary>
    public Network Flatten() => Add("flatten");

    /// <summary>Zeroes each activation with probability <paramref name="p"/> while training; the identity at inference.</summary>
    public Network Dropout(double p) => Add($"dropout({Number(p)})");

    /// <summary>max(x, 0).</summary>
    public Network ReLU() => Add("relu");

    /// <summary>x for x &gt; 0, else <paramref name="slope"/>·x.</summary>
    public Network LeakyReLU(double slope = 0.01) => Add($"leakyrelu({Number(slope)})");

    /// <summary>The hyperbolic tangent.</summary>
    public Network Tanh() => Add("tanh");

    /// <summary>1 / (1 + e^−x).</summary>
    public Network Sigmoid() => Add("sigmoid");

    /// <summary>GELU in its tanh form.</summary>
    public Network GELU() => Add("gelu");

    /// <inheritdoc cref="Description"/>
    public override string ToString() => Description;

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private Network Add(string layer)
    {
        // Checked as it is added, so a bad argument fails at the call that gave it.
        NetworkDescription.Parse(layer, "layer");
        _layers.Add(layer);
        return this;
    }
}
