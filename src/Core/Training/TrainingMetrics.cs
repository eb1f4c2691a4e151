namespace Distributed.Core.Training;

/// <summary>One optimizer step.</summary>
public readonly record struct StepMetrics(int Epoch, long Step, double Loss, double LearningRate, int BatchSize, double Seconds);

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
