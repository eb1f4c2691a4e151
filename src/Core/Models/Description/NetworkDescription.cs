using Distributed.Core.Compute;
using Distributed.Core.Layers;
using Distributed.Core.Losses;
using Distributed.Core.Tensors;

namespace Distributed.Core.Models.Description;

/// <summary>
/// A network as a person writes it, <c>"conv(32,3,pad=1) relu maxpool(2) flatten linear(10)"</c>, read into
/// <see cref="LayerSpec"/>s. <see cref="Text"/> is its canonical spelling (aliases resolved, defaults dropped):
/// what a job's configuration compares and what is stored beside trained parameters. Input sizes come from the
/// data when the model is built; a layer that cannot take what reaches it is reported at its position.
/// </summary>
public sealed class NetworkDescription
{
    private NetworkDescription(IReadOnlyList<LayerSpec> layers)
    {
        Layers = layers;
        Text = string.Join(' ', layers);
    }

    public IReadOnlyList<LayerSpec> Layers { get; }

    public string Text { get; }

    /// <summary>True when the first layer with a shape rule wants images (a convolution or a pool) rather than flat samples.</summary>
    public bool TakesImages => Layers.FirstOrDefault(l => l.Kind.Name is "conv" or "maxpool" or "avgpool" or "linear" or "flatten")?.Kind.Name is "conv" or "maxpool" or "avgpool";

    /// <summary>Reads <paramref name="text"/>; <paramref name="source"/> names it in error messages ("--model", a file name).</summary>
    public static NetworkDescription Parse(string text, string source = "--model") => new(new DescriptionParser(text, source).Parse());

    /// <summary>Reads a description file (new lines and # comments allowed).</summary>
    public static NetworkDescription Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DescriptionException(path, $"cannot read the network description: {ex.Message}");
        }

        return Parse(text, Path.GetFileName(path));
    }

    /// <summary>
    /// The layers, unbuilt. The k-th dropout layer draws its masks from seed + k, as the built-in models' do, so a
    /// description of a built-in network drops the same units.
    /// </summary>
    public Layer[] CreateLayers(ulong seed)
    {
        var layers = new Layer[Layers.Count];
        ulong dropouts = 0;
        for (var i = 0; i < layers.Length; i++)
        {
            var spec = Layers[i];
            var layerSeed = spec.Kind.Name == "dropout" ? Rng.Mix(seed + ++dropouts) : 0;
            layers[i] = spec.Kind.Create(spec.Values, layerSeed);
        }

        return layers;
    }

    /// <summary>
    /// Builds and initialises the network for samples of <paramref name="inputShape"/>, ending in
    /// <paramref name="outputs"/> values per sample (classes, or regression targets).
    /// </summary>
    public Model CreateModel(int[] inputShape, int outputs, LossKind loss, IComputeBackend backend, ModelOptions options)
    {
        var layers = CreateLayers(options.Seed);
        Model model;
        try
        {
            model = ModelZoo.Assemble(Text, layers, inputShape, loss.Create(backend), backend, options);
        }
        catch (ArgumentException ex) when (ex is not DescriptionException)
        {
            // A layer's OutputShape is set once it has built: the first without one is the one that refused its input.
            var failed = Array.FindIndex(layers, l => l.OutputShape.Length == 0);
            if (failed < 0)
            {
                throw;
            }

            var reaching = failed == 0 ? inputShape : layers[failed - 1].OutputShape;
            throw new DescriptionException(Layers[failed].Position.ToString(), $"{Layers[failed]} cannot take samples of {Shape(reaching)}: {FirstSentence(ex.Message)}");
        }

        var last = Layers[^1];
        if (model.OutputShape.Length != 1)
        {
            throw new DescriptionException(last.Position.ToString(), $"the network ends in samples of {Shape(model.OutputShape)}; end it with flatten and linear({outputs})");
        }

        if (model.OutputShape[0] != outputs)
        {
            var what = loss == LossKind.CrossEntropy ? $"{outputs} classes" : $"{outputs} target{(outputs == 1 ? "" : "s")}";
            throw new DescriptionException(last.Position.ToString(), $"the network ends in {model.OutputShape[0]} values per sample, but the data has {what}: end it with linear({outputs})");
        }

        return model;
    }

    public override string ToString() => Text;

    private static string Shape(int[] shape) => string.Join('x', shape);

    private static string FirstSentence(string message) => message.Split(Environment.NewLine)[0].Split(" (Parameter")[0];
}
