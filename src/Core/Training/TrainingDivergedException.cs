namespace Distributed.Core.Training;

/// <summary>Training produced a non-finite loss.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
