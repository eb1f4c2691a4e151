using Distributed.Core.Checkpoints;
using Distributed.Core.Data;
using Distributed.Core.FullBatch;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>A fully validated training run, ready to start in this process or across workers.</summary>
internal sealed record TrainJob(
    TrainSettings Settings,
    Model Model,
    LearningRateSchedule Schedule,
    TrainOptions Options,
    DataSplit Data,
    DataParallelOptions Parallel,
    int ChunkFloats,
    TimeSpan PeerTimeout,
    TimeSpan JoinTimeout,
    string Config,
    string DeviceReport)
{
    public OptimizerSettings OptimizerSettings => Settings.Optimizer;

    /// <summary>The full-batch method (lbfgs, cg, newton) this run uses instead of a first-order optimizer, or null.</summary>
    public FullBatchSettings? FullBatch { get; init; }

    public ScheduleSettings ScheduleSettings => Settings.Schedule;

    /// <summary>When and where to write checkpoints (--checkpoint-dir); null: never.</summary>
    public CheckpointPolicy? Checkpoints { get; init; }

    /// <summary>The verified, compatible checkpoint to continue from (--resume); null: a fresh start.</summary>
    public ResumePoint? Resume { get; init; }

    /// <summary>An optimizer over all parameters, for a run in this process.</summary>
    public Optimizer CreateOptimizer() =>
        OptimizerSettings.Create(Model.Backend, Model.Parameters.Values, Model.Parameters.Gradients, Schedule);
}
