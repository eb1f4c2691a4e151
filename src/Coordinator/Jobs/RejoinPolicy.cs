namespace Distributed.Coordinator.Jobs;

/// <summary>
/// How the ranks of a restarted job come back (`--min-workers`, `--rejoin-timeout`), after torchrun's elastic
/// rendezvous: every rank has the join timeout to come back, as at the start; once <paramref name="MinWorkers"/>
/// are back, the others have <paramref name="Timeout"/> more, and then the job goes on without them, each rank
/// loading the checkpoint re-sliced for the smaller world. The timeout starts at that quorum, not at the restart,
/// because replacements may all be held up together (a Kubernetes index waits an exponential back-off before its
/// pod starts again): the job must not shrink merely because everyone is late.
/// </summary>
/// <param name="FullWorldSize">
/// The world the job was launched with, which bounds the rank a rejoining worker may ask for: a Kubernetes pod keeps
/// asking for its completion index after the world has shrunk below it.
/// </param>
internal sealed record RejoinPolicy(int MinWorkers, TimeSpan Timeout, int FullWorldSize);
