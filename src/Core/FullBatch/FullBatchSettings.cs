using Distributed.Core.Layers;
using Distributed.Core.Models;

namespace Distributed.Core.FullBatch;

/// <summary>
/// A full-batch method as a run uses it: which one, its options, and the L2 coefficient λ that adds (λ/2)‖θ‖² to
/// the loss. Also the one place that says which models it can run on.
/// </summary>
public sealed record FullBatchSettings(string Method, FullBatchOptions Options, double WeightDecay)
{
    /// <summary>Throws <see cref="ArgumentException"/>, in one line, when <paramref name="model"/> cannot be trained by <see cref="Method"/>.</summary>
    public void Check(Model model)
    {
        if (!FullBatchMinimizer.Names.Contains(Method))
        {
            throw new ArgumentException($"unknown full-batch method '{Method}' (expected one of: {string.Join(", ", FullBatchMinimizer.Names)})");
        }

        if (model.Network.Layers.Any(l => l is Dropout))
        {
            throw new ArgumentException($"{Method} needs the same loss at the same point every time, and dropout makes it random: drop --dropout");
        }

        if (Method == "newton" && !ModelObjective.HasCurvature(model))
        {
            throw new ArgumentException($"newton needs Hessian-vector products, implemented for models linear in their parameters (linreg, logreg), not {model.Name}; use lbfgs or cg");
        }
    }

    /// <summary>The method on <paramref name="objective"/> plus the L2 term, from <paramref name="start"/>.</summary>
    public FullBatchMinimizer Create(IObjective objective, double[] start) =>
        FullBatchMinimizer.Create(Method, new Regularized(objective, WeightDecay), start, Options);
}
