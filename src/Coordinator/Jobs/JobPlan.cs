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

    public required TimeSpan JoinTimeout { get; init; }

    /// <summary>A worker silent for this long (no report, no heartbeat) fails the job.</summary>
    public required TimeSpan PeerTimeout { get; init; }

    /// <summary>Workers send their spans (a timeline is being written).</summary>
    public bool SendSpans { get; init; }

    /// <summary>Workers report a collective wait once it lasts this long, for the stall warning (zero: never).</summary>
    public TimeSpan WaitReport { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(WorldSize, "workers");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PeerTimeout, TimeSpan.Zero, "peer timeout");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JoinTimeout, TimeSpan.Zero, "join timeout");
    }
}

/// <summary>The job cannot finish; the message names the rank, the step and what was awaited.</summary>
internal sealed class JobFailedException(string message) : Exception(message);
