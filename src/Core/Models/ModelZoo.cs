using Distributed.Core.Compute;
using Distributed.Core.Layers;
using Distributed.Core.Losses;
using Distributed.Core.Tensors;

namespace Distributed.Core.Models;

/// <summary>Options that shape a model beyond its name.</summary>
public sealed record ModelOptions(ulong Seed, Initializer Init = Initializer.He, float Dropout = 0f);

/// <summary>The models a user picks by name. Shapes follow PyTorch's usual definitions so parameter counts match.</summary>
public static class ModelZoo
{
    public static IReadOnlyList<string> Names { get; } = ["linreg", "logreg", "mlp", "cnn"];

    /// <summary>The sample shape of synthetic data for <paramref name="name"/>: the cnn takes CIFAR-sized images, as the libtorch anchor does.</summary>
    public static int[] SyntheticInputShape(string name) => name switch { "cnn" => [3, 32, 32], "mlp" or "logreg" => [784], _ => [1] };

    /// <summary>
    /// Builds and initialises <paramref name="name"/> for samples of <paramref name="inputShape"/> and
    /// <paramref name="outputs"/> outputs (classes, or regression targets).
    /// </summary>
    public static Model Create(string name, int[] inputShape, int outputs, IComputeBackend backend, ModelOptions options)
    {
        var layers = new List<Layer>();
        void Add(params Layer[] more) => layers.AddRange(more);
        void MaybeDropout(ulong index)
        {
            if (options.Dropout > 0)
            {
                layers.Add(new Dropout(options.Dropout, Rng.Mix(options.Seed + index)));
            }
        }

        switch (name)
        {
            case "linreg":
                // y = θ1·x + θ2 (one weight per feature for wider CSV inputs).
                Add(new Flatten(), new Linear(outputs));
                break;
            case "logreg":
                // Multinomial logistic regression: softmax(W·x + b), a convex loss with one optimum, for the full-batch methods.
                Add(new Flatten(), new Linear(outputs));
                break;
            case "mlp":
                Add(new Flatten(), new Linear(256), new ReLU());
                MaybeDropout(1);
                Add(new Linear(256), new ReLU());
                MaybeDropout(2);
                Add(new Linear(outputs));
                break;
            case "cnn":
                if (inputShape.Length != 3)
                {
                    throw new ArgumentException($"cnn needs image samples (CxHxW), but the data has samples of [{string.Join(',', inputShape)}]");
                }

                Add(new Conv2d(32, 3, padding: 1), new ReLU(), new MaxPool2d(2));
                Add(new Conv2d(64, 3, padding: 1), new ReLU(), new MaxPool2d(2));
                Add(new Flatten(), new Linear(128), new ReLU());
                MaybeDropout(1);
                Add(new Linear(outputs));
                break;
            default:
                throw new ArgumentException($"unknown model '{name}' (expected one of: {string.Join(", ", Names)})");
        }

        Loss loss = name == "linreg" ? new MeanSquaredError(backend) : new SoftmaxCrossEntropy(backend);
        return Assemble(name, [.. layers], inputShape, loss, backend, options);
    }

    /// <summary>Builds <paramref name="layers"/> into a model and initialises it: the one rule for seeding every model's weights.</summary>
    internal static Model Assemble(string name, Layer[] layers, int[] inputShape, Loss loss, IComputeBackend backend, ModelOptions options)
    {
        var model = new Model(name, new Sequential(layers), inputShape, loss, backend);
        model.Parameters.Initialize(Rng.Derive(options.Seed, 1), options.Init);
        return model;
    }
}
