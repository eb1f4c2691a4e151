using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>A fully validated training run, ready to start.</summary>
internal sealed record TrainJob(
    Model Model,
    Optimizer Optimizer,
    OptimizerSettings OptimizerSettings,
    ScheduleSettings ScheduleSettings,
    TrainOptions Options,
    DataSplit Data,
    string? OutDir,
    string MetricsFormat,
    string? JsonPath);
