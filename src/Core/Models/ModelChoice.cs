using Distributed.Core.Compute;
using Distributed.Core.Losses;
using Distributed.Core.Models.Description;

namespace Distributed.Core.Models;

/// <summary>
/// What <c>--model</c> names: a built-in model (<see cref="ModelZoo.Names"/>), a network described inline, or one
/// described in a file (<c>@net.txt</c>). <see cref="Canonical"/> is the same text for the same network however
/// it was given, which is what workers must agree on.
/// </summary>
public sealed class ModelChoice
{
    private ModelChoice(string? builtIn, NetworkDescription? description)
    {
        BuiltIn = builtIn;
        Description = description;
    }

    public string? BuiltIn { get; }

    public NetworkDescription? Description { get; }

    public string Canonical => BuiltIn ?? Description!.Text;

    /// <summary>The loss a built-in model trains with; null for a description, whose loss the data or --loss decides.</summary>
    public LossKind? ImpliedLoss => BuiltIn is null ? null : BuiltIn == "linreg" ? LossKind.MeanSquaredError : LossKind.CrossEntropy;

    /// <summary>The sample shape for synthetic data: the built-in's, or images for a network that starts with a convolution or pool.</summary>
    public int[] SyntheticInputShape => BuiltIn is { } name
        ? ModelZoo.SyntheticInputShape(name)
        : ModelZoo.SyntheticInputShape(Description!.TakesImages ? "cnn" : "mlp");

    public static ModelChoice Parse(string model)
    {
        var trimmed = model.Trim();
        if (ModelZoo.Names.Contains(trimmed))
        {
            return new ModelChoice(trimmed, null);
        }

        if (trimmed.StartsWith('@'))
        {
            return new ModelChoice(null, NetworkDescription.Read(trimmed[1..]));
        }

        // One bare word that names no layer is a mistyped model name more likely than a one-layer network.
        if (trimmed.Length > 0 && trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') && LayerKind.Find(trimmed) is null)
        {
            throw new ArgumentException(
                $"unknown model '{trimmed}' (expected one of: {string.Join(", ", ModelZoo.Names)}; a network such as \"flatten linear(128) relu linear(10)\"; or @file with one)");
        }

        return new ModelChoice(null, NetworkDescription.Parse(model));
    }

    /// <summary>
    /// The loss to train with: <paramref name="requested"/> ("auto", "mse", "cross-entropy") where the model does not
    /// imply one; for a description, "auto" means cross-entropy. A built-in asked for another loss than its own is refused.
    /// </summary>
    public LossKind ResolveLoss(string requested)
    {
        LossKind? asked = requested == "auto" ? null : LossKinds.Parse(requested);
        if (ImpliedLoss is { } implied)
        {
            return asked is null || asked == implied
                ? implied
                : throw new ArgumentException($"--loss {requested} does not apply to {BuiltIn}, which trains with {implied.Name()}; describe the network to choose its loss");
        }

        return asked ?? LossKind.CrossEntropy;
    }

    public Model Create(int[] inputShape, int outputs, LossKind loss, IComputeBackend backend, ModelOptions options) =>
        BuiltIn is { } name
            ? ModelZoo.Create(name, inputShape, outputs, backend, options)
            : Description!.CreateModel(inputShape, outputs, loss, backend, options);
}
