using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>
/// All parameters of a model laid end to end in one flat value buffer and one flat gradient buffer, in
/// declaration order. Optimizers, gradient buckets and ZeRO shards work on contiguous slices of these.
/// </summary>
public sealed class ParameterSet
{
    public ParameterSet(IReadOnlyList<Parameter> parameters)
    {
        Parameters = parameters;
        var total = 0L;
        foreach (var p in parameters)
        {
            total += p.Length;
        }

        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"{total} parameters do not fit one buffer");
        }

        Values = new Tensor((int)total);
        Gradients = new Tensor((int)total);
        var offset = 0;
        foreach (var p in parameters)
        {
            p.Bind(Values.View(offset, p.Shape), Gradients.View(offset, p.Shape));
            offset += p.Length;
        }
    }

    public IReadOnlyList<Parameter> Parameters { get; }

    public Tensor Values { get; }

    public Tensor Gradients { get; }

    public int Count => Values.Length;

    /// <summary>Draws every parameter from <paramref name="rng"/> in declaration order: the same seed, the same model.</summary>
    public void Initialize(Rng rng, Initializer weightScheme)
    {
        foreach (var p in Parameters)
        {
            var span = p.Value.Span;
            var scheme = p.Init == Initializer.Zeros ? Initializer.Zeros : weightScheme;
            switch (scheme)
            {
                case Initializer.Zeros:
                    span.Clear();
                    break;
                case Initializer.He:
                    var std = Math.Sqrt(2.0 / p.FanIn);
                    for (var i = 0; i < span.Length; i++)
                    {
                        span[i] = (float)(rng.NextNormal() * std);
                    }

                    break;
                case Initializer.Xavier:
                    var bound = Math.Sqrt(6.0 / (p.FanIn + p.FanOut));
                    for (var i = 0; i < span.Length; i++)
                    {
                        span[i] = (float)(((2 * rng.NextDouble()) - 1) * bound);
                    }

                    break;
            }
        }
    }
}
