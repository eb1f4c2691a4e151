using Distributed.Core.Checkpoints;
using Distributed.Core.Collectives;
using Distributed.Core.DataParallel;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// Everything a training run is, as plain values: what `train`, `coordinator`, `worker` and `submit` parse from
/// their flags, and what `bench train --workers` builds directly. The defaults here (and in the optimizer and
/// schedule records) are the only ones: each flag's default is read from a fresh instance.
/// </summary>
internal sealed record TrainSettings
{
    /// <summary>A built-in model's name, a network description, or @file holding one.</summary>
    public string Model { get; init; } = "mlp";

    /// <summary>auto (the built-in model's own; cross-entropy for a described network), mse or cross-entropy.</summary>
    public string Loss { get; init; } = "auto";

    public string? Data { get; init; }

    public string? TestData { get; init; }

    public int SyntheticSamples { get; init; } = 8192;

    public OptimizerSettings Optimizer { get; init; } = new();

    public ScheduleSettings Schedule { get; init; } = new();

    public float Dropout { get; init; }

    public string Init { get; init; } = "he";

    public int Epochs { get; init; } = 5;

    public int BatchSize { get; init; } = 128;

    /// <summary>Batches of <see cref="BatchSize"/> whose gradients are summed before each optimizer step, with one reduction.</summary>
    public int Accumulate { get; init; } = 1;

    public ulong Seed { get; init; } = 1;

    /// <summary>CPU threads; 0 means all cores (split among local workers, as torchrun does).</summary>
    public int Threads { get; init; }

    public string Device { get; init; } = "auto";

    /// <summary>The ZeRO stage asked for; null leaves it to <see cref="EffectiveZero"/>.</summary>
    public int? Zero { get; init; }

    /// <summary>
    /// The stage a job runs: the one asked for, else 2 for the first-order optimizers and 0 for the full-batch
    /// methods (whose ranks all keep the whole state). Stage 2 gives what stage 0 gives within rounding, holds a
    /// 1/N share of the optimizer state, and updates only that share: two cnn and mlp workers ran 10% faster with
    /// it than with stage 0 (`bench train --workers 2 [--zero 2]`, 3 alternating rounds, stop 17).
    /// </summary>
    public int EffectiveZero => Zero ?? (Optimizer.IsFullBatch ? 0 : 2);

    public double BucketMb { get; init; } = DataParallelOptions.DefaultBucketFloats * (double)sizeof(float) / (1024 * 1024);

    /// <summary>How ring links travel: auto (shared memory between ranks on one host, gRPC between hosts), grpc, shm.</summary>
    public string Transport { get; init; } = "auto";

    public int ChunkKb { get; init; } = RingCollectives.DefaultChunkFloats * sizeof(float) / 1024;

    public double PeerTimeoutSeconds { get; init; } = RingCollectives.DefaultPeerTimeout.TotalSeconds;

    public double JoinTimeoutSeconds { get; init; } = 300;

    public string? Save { get; init; }

    /// <summary>stop | skip: what a step whose gradient is not finite does.</summary>
    public string OnNonFinite { get; init; } = "stop";

    public int MaxSkips { get; init; } = NonFiniteGuard.DefaultMaxSkips;

    /// <summary>Where checkpoints go (the coordinator's choice in a distributed run; never forwarded to workers).</summary>
    public string? CheckpointDir { get; init; }

    /// <summary>Optimizer steps between checkpoints; 0: only at the end of each epoch (and so of training).</summary>
    public int CheckpointEvery { get; init; }

    public int KeepCheckpoints { get; init; } = CheckpointDirectory.DefaultKeep;

    /// <summary>Times a distributed job starts every rank again from the newest checkpoint after a rank was lost; 0: fail at once.</summary>
    public int MaxRestarts { get; init; }

    /// <summary>The fewest ranks a restarted job goes on with when the others do not come back; null: every rank (no shrinking).</summary>
    public int? MinWorkers { get; init; }

    /// <summary>After a restart, once <see cref="MinWorkers"/> ranks are back, how long the others have to rejoin before the job goes on without them.</summary>
    public double RejoinTimeoutSeconds { get; init; } = 60;

    /// <summary>A checkpoint, or a checkpoint directory (its newest intact checkpoint), to continue from.</summary>
    public string? Resume { get; init; }

    /// <summary>Where this process writes per-step and per-epoch metrics (never forwarded to workers).</summary>
    public string? Out { get; init; }

    public string MetricsFormat { get; init; } = "csv";

    public string? Json { get; init; }
}
