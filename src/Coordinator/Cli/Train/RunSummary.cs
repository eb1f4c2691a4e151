using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>One iteration of a full-batch method: f and ‖∇f‖ where it began, the evaluations and Hessian-vector products it spent, the step it took.</summary>
internal sealed record IterationRow(long Iteration, double Loss, double GradientNorm, int Evaluations, int HessianProducts, double StepLength, double Seconds);

/// <summary>`--json FILE`: what a run was and what it achieved, for scripts and dashboards.</summary>
internal sealed record RunSummary(
    string Model,
    long Parameters,
    string Optimizer,
    double? Lr,
    int Epochs,
    int BatchSize,
    ulong Seed,
    string Data,
    string Backend,
    int Workers,
    long Steps,
    double FinalLoss,
    double? TestAccuracy,
    double? TrainAccuracy,
    double SamplesPerSecond,
    double TrainSeconds,
    float[]? ParameterValues,
    IReadOnlyList<EpochMetrics> History,
    IReadOnlyList<IterationRow>? Iterations)
{
    public static RunSummary From(TrainJob job, TrainingResult result, float[]? parameters, int workers, IReadOnlyList<IterationRow>? iterations = null) => new(
        job.Model.Name,
        job.Model.Parameters.Count,
        job.OptimizerSettings.Name,
        job.FullBatch is null ? job.OptimizerSettings.Lr : null,
        job.Options.Epochs,
        job.Options.BatchSize,
        job.Options.Seed,
        job.Data.Description,
        job.Model.Backend.Name,
        workers,
        result.Steps,
        result.FinalLoss,
        result.TestAccuracy,
        result.Epochs[^1].TrainAccuracy,
        result.SamplesPerSecond,
        result.TrainSeconds,
        parameters,
        result.Epochs,
        iterations is { Count: > 0 } ? iterations : null);

    public void Write(string path) => JsonFiles.Write(path, this);
}
