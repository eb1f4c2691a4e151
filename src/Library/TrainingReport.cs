namespace Distributed;

/// <summary>What a training run achieved.</summary>
/// <param name="Parameters">Trainable parameters in the network.</param>
/// <param name="FinalLoss">The mean training loss of the last epoch.</param>
/// <param name="TestAccuracy">Accuracy on the held-out set, for a classifier with one; else null.</param>
/// <param name="SamplesPerSecond">Training throughput over all workers.</param>
/// <param name="Steps">Optimizer steps taken.</param>
public sealed record TrainingReport(long Parameters, double FinalLoss, double? TestAccuracy, double SamplesPerSecond, long Steps);
