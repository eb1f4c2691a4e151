using System.CommandLine;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;

namespace Distributed.Coordinator.Cli;

/// <summary>The `train` flags, with their defaults and help text, and how they become settings.</summary>
internal sealed class TrainOptionsSet
{
    public Option<string> Model { get; } = new("--model") { Description = "linreg | mlp | cnn", DefaultValueFactory = _ => "mlp" };

    public Option<string?> Data { get; } = new("--data") { Description = "MNIST IDX dir, CIFAR-10 dir, CSV file, 'synthetic' or 'builtin' (default: bundled MNIST; linreg: builtin)" };

    public Option<string?> TestData { get; } = new("--test-data") { Description = "held-out CSV file (MNIST and CIFAR-10 directories bring their own test set)" };

    public Option<int> SyntheticSamples { get; } = new("--synthetic-samples") { Description = "training samples for --data synthetic", DefaultValueFactory = _ => 8192 };

    public Option<string> Optimizer { get; } = new("--optimizer") { Description = string.Join(" | ", OptimizerSettings.Names), DefaultValueFactory = _ => "adam" };

    public Option<double> Lr { get; } = new("--lr") { Description = "base learning rate", DefaultValueFactory = _ => 1e-3 };

    public Option<double?> Momentum { get; } = new("--momentum") { Description = "SGD/RMSProp momentum μ (momentum and nesterov default to 0.9)" };

    public Option<double> Dampening { get; } = new("--dampening") { Description = "SGD momentum dampening τ", DefaultValueFactory = _ => 0 };

    public Option<bool> Nesterov { get; } = new("--nesterov") { Description = "Nesterov momentum for SGD" };

    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = "L2 coefficient λ (decoupled for adamw, default 0.01 there; coupled elsewhere, default 0)" };

    public Option<double> L1 { get; } = new("--l1") { Description = "L1 regularisation coefficient", DefaultValueFactory = _ => 0 };

    public Option<double?> ClipNorm { get; } = new("--clip-norm") { Description = "clip gradients to this global L2 norm" };

    public Option<double> Beta1 { get; } = new("--beta1") { Description = "Adam β1", DefaultValueFactory = _ => 0.9 };

    public Option<double> Beta2 { get; } = new("--beta2") { Description = "Adam β2", DefaultValueFactory = _ => 0.999 };

    public Option<double?> Epsilon { get; } = new("--eps") { Description = "ε in the denominator (adam/rmsprop 1e-8, adagrad 1e-10)" };

    public Option<bool> AmsGrad { get; } = new("--amsgrad") { Description = "AMSGrad variant of Adam/AdamW" };

    public Option<double> Alpha { get; } = new("--alpha") { Description = "RMSProp smoothing constant α", DefaultValueFactory = _ => 0.99 };

    public Option<bool> Centered { get; } = new("--centered") { Description = "centered RMSProp" };

    public Option<double> InitialAccumulator { get; } = new("--initial-accumulator") { Description = "AdaGrad starting sum", DefaultValueFactory = _ => 0 };

    public Option<string> Schedule { get; } = new("--lr-schedule") { Description = string.Join(" | ", ScheduleSettings.Names), DefaultValueFactory = _ => "constant" };

    public Option<int> StepSize { get; } = new("--lr-step-size") { Description = "steps between decays (step schedule)", DefaultValueFactory = _ => 1000 };

    public Option<double> Gamma { get; } = new("--lr-gamma") { Description = "decay factor (step, exponential)", DefaultValueFactory = _ => 0.1 };

    public Option<double> MinLr { get; } = new("--lr-min") { Description = "floor of the cosine schedule", DefaultValueFactory = _ => 0 };

    public Option<int> Warmup { get; } = new("--warmup-steps") { Description = "linear warm-up steps before the schedule", DefaultValueFactory = _ => 0 };

    public Option<float> Dropout { get; } = new("--dropout") { Description = "dropout probability after hidden layers (mlp, cnn)", DefaultValueFactory = _ => 0f };

    public Option<string> Init { get; } = new("--init") { Description = "he | xavier weight initialisation", DefaultValueFactory = _ => "he" };

    public Option<int> Epochs { get; } = new("--epochs") { Description = "passes over the training set", DefaultValueFactory = _ => 5 };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "samples per optimizer step", DefaultValueFactory = _ => 128 };

    public Option<ulong> Seed { get; } = new("--seed") { Description = "seed for initialisation, shuffling, dropout and synthetic data", DefaultValueFactory = _ => 1UL };

    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads (default: all cores)", DefaultValueFactory = _ => 0 };

    public Option<string> Device { get; } = new("--device")
    {
        Description = "auto | cuda | cpu | ilgpu-cpu: where gradients are computed (auto: an NVIDIA GPU that passes a smoke kernel, else the CPU; ilgpu-cpu: the GPU code on ILGPU's CPU accelerator, slow, for checking it without a GPU)",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string?> Out { get; } = new("--out") { Description = "directory for per-step and per-epoch metrics" };

    public Option<string> MetricsFormat { get; } = new("--metrics-format") { Description = "csv | jsonl", DefaultValueFactory = _ => "csv" };

    public Option<string?> Json { get; } = new("--json") { Description = "write a summary object to this file" };

    public IEnumerable<Option> All =>
    [
        Model, Data, TestData, SyntheticSamples, Optimizer, Lr, Momentum, Dampening, Nesterov, WeightDecay, L1, ClipNorm,
        Beta1, Beta2, Epsilon, AmsGrad, Alpha, Centered, InitialAccumulator, Schedule, StepSize, Gamma, MinLr, Warmup,
        Dropout, Init, Epochs, BatchSize, Seed, Threads, Device, Out, MetricsFormat, Json,
    ];

    public OptimizerSettings ToOptimizerSettings(ParseResult r) => new()
    {
        Name = r.GetValue(Optimizer)!,
        Lr = r.GetValue(Lr),
        Momentum = r.GetValue(Momentum),
        Dampening = r.GetValue(Dampening),
        Nesterov = r.GetValue(Nesterov),
        WeightDecay = r.GetValue(WeightDecay),
        L1 = r.GetValue(L1),
        MaxGradNorm = r.GetValue(ClipNorm),
        Beta1 = r.GetValue(Beta1),
        Beta2 = r.GetValue(Beta2),
        Epsilon = r.GetValue(Epsilon),
        AmsGrad = r.GetValue(AmsGrad),
        Alpha = r.GetValue(Alpha),
        Centered = r.GetValue(Centered),
        InitialAccumulator = r.GetValue(InitialAccumulator),
    };

    public ScheduleSettings ToScheduleSettings(ParseResult r) => new()
    {
        Name = r.GetValue(Schedule)!,
        StepSize = r.GetValue(StepSize),
        Gamma = r.GetValue(Gamma),
        MinLr = r.GetValue(MinLr),
        WarmupSteps = r.GetValue(Warmup),
    };
}
