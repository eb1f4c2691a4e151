namespace Distributed.Worker;

/// <summary>The worker cannot go on (refused, aborted, lost its coordinator or a peer); the message says why in one line.</summary>
public sealed class WorkerException(string message, Exception? inner = null) : Exception(message, inner);
