using Distributed.Core.Checkpoints;

namespace Distributed.Coordinator.Jobs;

/// <summary>What a distributed job is; the coordinator drives it, the workers must agree with it.</summary>
internal sealed record JobPlan
{
    public required int WorldSize { get; init; }

    public required string JobId { get; init; }

    /// <summary>The canonical configuration every joining worker must send verbatim.</summary>
    public required string Config { get; init; }

    /// <summary>What every call of the job proves; a fresh one unless the job's processes were handed one (`coordinator --secret-file`).</summary>
    public Worker.Security.JobSecret Secret { get; init; } = Worker.Security.JobSecret.Create();

    /// <summary>The job's certificates when its processes talk mutual TLS (`--tls`); null: cleartext.</summary>
    public Worker.Security.JobTls? Tls { get; init; }

    /// <summary>Training samples; 0 for a collectives benchmark.</summary>
    public int TrainSamples { get; init; }

    public int TestSamples { get; init; }

    public int BatchSize { get; init; } = 1;

    public int Epochs { get; init; } = 1;

    public ulong Seed { get; init; }

    /// <summary>Whether accuracy means anything (false for regression).</summary>
    public bool Classifier { get; init; }

    /// <summary>How long the workers have to join; after a restart, to come back (at least <see cref="RejoinPolicy.MinWorkers"/> of them).</summary>
    public required TimeSpan JoinTimeout { get; init; }

    /// <summary>How a restarted job's ranks come back, and when it goes on with fewer; null: a first start, where every rank must join.</summary>
    public RejoinPolicy? Rejoin { get; init; }

    /// <summary>A worker silent for this long (no report, no heartbeat) fails the job.</summary>
    public required TimeSpan PeerTimeout { get; init; }

    /// <summary>Workers send their spans (a timeline is being written).</summary>
    public bool SendSpans { get; init; }

    /// <summary>Workers report a collective wait once it lasts this long, for the stall warning (zero: never).</summary>
    public TimeSpan WaitReport { get; init; }

    /// <summary>
    /// A full-batch method's forward-pass chunk (0 for first-order training): each rank then gets whole chunks of the
    /// training set in sample order (<see cref="Core.DataParallel.FullBatchShards"/>), not a slice of the shuffle.
    /// </summary>
    public int FullBatchChunk { get; init; }

    /// <summary>When and where the ranks write checkpoints; null: never.</summary>
    public CheckpointPolicy? Checkpoints { get; init; }

    /// <summary>The ZeRO stage the ranks train under, and the optimizer's name and state tensors: what a manifest records.</summary>
    public int ZeroStage { get; init; }

    public string OptimizerName { get; init; } = "";

    public IReadOnlyList<string> OptimizerState { get; init; } = [];

    /// <summary>The verified checkpoint every rank loads before it reports ready; null: a fresh start.</summary>
    public ResumePoint? Resume { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(WorldSize, "workers");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PeerTimeout, TimeSpan.Zero, "peer timeout");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JoinTimeout, TimeSpan.Zero, "join timeout");
    }
}

/// <summary>The job cannot finish; the message names the rank, the step and what was awaited.</summary>
internal sealed class JobFailedException(string message) : Exception(message)
{
    /// <summary>
    /// A rank went away or went silent (its process died, its connection broke, it stopped answering): what a restart
    /// from the last checkpoint can mend. A rank's own error report (divergence, a bad file) would only recur.
    /// </summary>
    public bool RankLost { get; init; }
}
