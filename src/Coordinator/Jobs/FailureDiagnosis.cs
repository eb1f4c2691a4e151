namespace Distributed.Coordinator.Jobs;

/// <summary>
/// Decides which rank to blame once a worker reports a failure. A report is usually a symptom: rank 2 waited in
/// vain for rank 1, or rank 0 for rank 2, which itself waited for rank 1. The cause is a rank that did not report:
/// one whose session or process went away, else one silent for longer than a live rank can be (<see cref="Liveness"/>);
/// a frozen one has by now been silent for about the peer timeout that made its neighbour report. A rank that reported and then closed its session is a symptom, never the cause.
/// </summary>
internal sealed class FailureDiagnosis
{
    private readonly List<(int Rank, string Message)> _reports = [];
    private readonly List<(int Rank, string What)> _losses = [];

    /// <summary>True once a rank that did not report has gone away: no later event can name a better cause.</summary>
    public bool HasCause => _losses.Exists(l => !HasReported(l.Rank));

    public void Reported(int rank, string message) => _reports.Add((rank, message));

    public void Lost(int rank, string what) => _losses.Add((rank, what));

    /// <summary>
    /// The rank to blame and what it did, or null when every suspect reported for itself.
    /// <paramref name="silentFor"/> gives how long each unfinished rank has been silent (null for a finished one).
    /// </summary>
    public (int Rank, string What)? Cause(IReadOnlyList<TimeSpan?> silentFor)
    {
        foreach (var loss in _losses)
        {
            if (!HasReported(loss.Rank))
            {
                return loss;
            }
        }

        (int Rank, TimeSpan Silent)? quietest = null;
        for (var rank = 0; rank < silentFor.Count; rank++)
        {
            if (silentFor[rank] is { } silent && !HasReported(rank) && Liveness.Stopped(silent) && (quietest is null || silent > quietest.Value.Silent))
            {
                quietest = (rank, silent);
            }
        }

        return quietest is { } q ? (q.Rank, $"stopped answering (nothing for {q.Silent.TotalSeconds:0} s)") : null;
    }

    /// <summary>What the ranks reported, in arrival order, joined for one line.</summary>
    public string Reports => string.Join("; ", _reports.Select(r => r.Message));

    private bool HasReported(int rank) => _reports.Exists(r => r.Rank == rank);
}
