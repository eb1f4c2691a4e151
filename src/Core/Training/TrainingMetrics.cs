using System.Text.Json.Serialization;

namespace Distributed.Core.Training;

/// <summary>
/// One optimizer step. A full-batch method (lbfgs, cg, newton) adds ‖∇f‖ and the evaluations of f and ∇f (and
/// Hessian-vector products) the step spent; its learning rate is the step length its line search accepted.
/// </summary>
public readonly record struct StepMetrics(
    int Epoch, long Step, double Loss, double LearningRate, int BatchSize, double Seconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? GradientNorm = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Evaluations = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? HessianProducts = null);

/// <summary>One pass over the training set, with the held-out evaluation when there is one.</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? TestLoss,
    double? TestAccuracy,
    double SamplesPerSecond,
    double Seconds);

/// <summary>Loss and (for classifiers) accuracy over a data set.</summary>
public readonly record struct Evaluation(double Loss, double? Accuracy, int Samples);

/// <summary>What a whole run achieved.</summary>
public sealed record TrainingResult(
    IReadOnlyList<EpochMetrics> Epochs,
    double FinalLoss,
    double? TestAccuracy,
    double SamplesPerSecond,
    double TrainSeconds,
    long Steps);
