using Distributed.Core.Compute;
using Distributed.Core.FullBatch;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

/// <summary>
/// Every optimizer hyperparameter a user can set by name; null means "this optimizer's default". Turns into the
/// matching options record, which validates the values.
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary>The first-order optimizers, which step on each mini-batch's gradient.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"];

    /// <summary>Every name a user may pick: the first-order ones, then the full-batch methods (<see cref="FullBatchMinimizer.Names"/>).</summary>
    public static IReadOnlyList<string> AllNames { get; } = [.. Names, .. FullBatchMinimizer.Names];

    /// <summary>μ for the `momentum` and `nesterov` names, as PyTorch users set it for SGD with momentum.</summary>
    public const double NamedMomentum = 0.9;

    // The options records own each optimizer's defaults; a setting left null (or at these values) takes them.
    private static readonly AdamOptions AdamDefaults = new() { Lr = 1e-3 };
    private static readonly RmsPropOptions RmsPropDefaults = new() { Lr = 1e-3 };
    private static readonly AdaGradOptions AdaGradDefaults = new() { Lr = 1e-3 };

    public string Name { get; init; } = "adam";

    public double Lr { get; init; } = AdamDefaults.Lr;

    public double? Momentum { get; init; }

    public double Dampening { get; init; }

    public bool Nesterov { get; init; }

    public double? WeightDecay { get; init; }

    public double L1 { get; init; }

    public double? MaxGradNorm { get; init; }

    public double Beta1 { get; init; } = AdamDefaults.Beta1;

    public double Beta2 { get; init; } = AdamDefaults.Beta2;

    public double? Epsilon { get; init; }

    public bool AmsGrad { get; init; }

    public double Alpha { get; init; } = RmsPropDefaults.Alpha;

    public bool Centered { get; init; }

    public double InitialAccumulator { get; init; }

    /// <summary>L-BFGS's curvature pairs (null: <see cref="FullBatchOptions.History"/>).</summary>
    public int? History { get; init; }

    /// <summary>lbfgs, cg or newton: a method that needs the whole training set's loss and gradient at each point it tries.</summary>
    public bool IsFullBatch => FullBatchMinimizer.Names.Contains(Name);

    /// <summary>The hyperparameters that matter for <see cref="Name"/>, for the start-of-run report.</summary>
    public string Describe()
    {
        var parts = IsFullBatch ? new List<string> { "full batch, strong Wolfe line search" } : new List<string> { $"lr {Lr:G4}" };
        void Add(string label, object? value)
        {
            if (value is not null)
            {
                parts.Add($"{label} {value}");
            }
        }

        switch (Name)
        {
            case "sgd" or "momentum" or "nesterov":
                Add("momentum", Momentum ?? (Name == "sgd" ? null : NamedMomentum));
                Add("dampening", Dampening == 0 ? null : Dampening);
                break;
            case "rmsprop":
                Add("alpha", Alpha);
                Add("momentum", Momentum);
                Add("centered", Centered ? true : null);
                break;
            case "adam" or "adamw":
                Add("betas", $"({Beta1}, {Beta2})");
                Add("amsgrad", AmsGrad ? true : null);
                break;
            case "lbfgs":
                Add("history", History ?? new FullBatchOptions().History);
                break;
        }

        Add("eps", Epsilon);
        Add("weight decay", WeightDecay ?? (Name == "adamw" ? AdamW.DefaultWeightDecay : null));
        Add("l1", L1 == 0 ? null : L1);
        Add("clip norm", MaxGradNorm);
        return string.Join(", ", parts);
    }

    /// <summary>Builds the optimizer over a flat slice of parameters and their gradients.</summary>
    public Optimizer Create(IComputeBackend backend, Tensor parameters, Tensor gradients, LearningRateSchedule? schedule)
    {
        RefuseUnused();
        if (IsFullBatch)
        {
            throw new ArgumentException($"{Name} is a full-batch method: it has no per-step update over a slice (use FullBatch())");
        }

        var wd = WeightDecay ?? (Name == "adamw" ? AdamW.DefaultWeightDecay : 0);
        switch (Name)
        {
            case "sgd" or "momentum" or "nesterov":
                var momentum = Momentum ?? (Name == "sgd" ? 0 : NamedMomentum);
                return new Sgd(backend, parameters, gradients, new SgdOptions
                {
                    Lr = Lr, WeightDecay = wd, L1 = L1, MaxGradNorm = MaxGradNorm,
                    Momentum = momentum, Dampening = Dampening, Nesterov = Nesterov || Name == "nesterov",
                }, schedule);
            case "adagrad":
                return new AdaGrad(backend, parameters, gradients, new AdaGradOptions
                {
                    Lr = Lr, WeightDecay = wd, L1 = L1, MaxGradNorm = MaxGradNorm,
                    Epsilon = Epsilon ?? AdaGradDefaults.Epsilon, InitialAccumulator = InitialAccumulator,
                }, schedule);
            case "rmsprop":
                return new RmsProp(backend, parameters, gradients, new RmsPropOptions
                {
                    Lr = Lr, WeightDecay = wd, L1 = L1, MaxGradNorm = MaxGradNorm,
                    Alpha = Alpha, Epsilon = Epsilon ?? RmsPropDefaults.Epsilon, Momentum = Momentum ?? 0, Centered = Centered,
                }, schedule);
            case "adam" or "adamw":
                var options = new AdamOptions
                {
                    Lr = Lr, WeightDecay = wd, L1 = L1, MaxGradNorm = MaxGradNorm,
                    Beta1 = Beta1, Beta2 = Beta2, Epsilon = Epsilon ?? AdamDefaults.Epsilon, AmsGrad = AmsGrad,
                };
                return Name == "adam"
                    ? new Adam(backend, parameters, gradients, options, schedule)
                    : new AdamW(backend, parameters, gradients, options, schedule);
            default:
                throw new ArgumentException($"unknown optimizer '{Name}' (expected one of: {string.Join(", ", AllNames)})");
        }
    }

    /// <summary>The full-batch method <see cref="Name"/> names, with the hyperparameters it reads.</summary>
    public FullBatchSettings FullBatch()
    {
        RefuseUnused();
        if (!IsFullBatch)
        {
            throw new ArgumentException($"{Name} is not a full-batch method (expected one of: {string.Join(", ", FullBatchMinimizer.Names)})");
        }

        var options = new FullBatchOptions();
        return new FullBatchSettings(Name, (options with { History = History ?? options.History }).Validated(), WeightDecay ?? 0);
    }

    /// <summary>
    /// A hyperparameter set away from its default that <see cref="Name"/> never reads is a mistake (β1 for SGD,
    /// Nesterov for Adam): refused, naming it, rather than dropped without a word.
    /// </summary>
    private void RefuseUnused()
    {
        var defaults = new OptimizerSettings();
        var sgd = Name is "sgd" or "momentum" or "nesterov";
        var adam = Name is "adam" or "adamw";
        void Refuse(bool set, string name, string usedBy)
        {
            if (set && AllNames.Contains(Name))
            {
                throw new ArgumentException($"{name} is not used by {Name} (only by {usedBy})");
            }
        }

        Refuse(Momentum is not null && !sgd && Name != "rmsprop", "momentum", "sgd, momentum, nesterov and rmsprop");
        Refuse(Dampening != defaults.Dampening && !sgd, "dampening", "sgd, momentum and nesterov");
        Refuse(Nesterov && !sgd, "nesterov", "sgd and momentum");
        Refuse(Beta1 != defaults.Beta1 && !adam, "beta1", "adam and adamw");
        Refuse(Beta2 != defaults.Beta2 && !adam, "beta2", "adam and adamw");
        Refuse(AmsGrad && !adam, "amsgrad", "adam and adamw");
        Refuse(Epsilon is not null && (sgd || IsFullBatch), "eps", "adagrad, rmsprop, adam and adamw");
        Refuse(Alpha != defaults.Alpha && Name != "rmsprop", "alpha", "rmsprop");
        Refuse(Centered && Name != "rmsprop", "centered", "rmsprop");
        Refuse(InitialAccumulator != defaults.InitialAccumulator && Name != "adagrad", "initial-accumulator", "adagrad");
        Refuse(History is not null && Name != "lbfgs", "history", "lbfgs");

        // The full-batch methods' line search picks each step, on the exact loss: a rate, an L1 kink or a clip would fight it.
        var firstOrder = "the first-order optimizers; the line search picks the step";
        Refuse(Lr != defaults.Lr && IsFullBatch, "lr", firstOrder);
        Refuse(L1 != defaults.L1 && IsFullBatch, "l1", "the first-order optimizers");
        Refuse(MaxGradNorm is not null && IsFullBatch, "clip-norm", firstOrder);
    }
}
