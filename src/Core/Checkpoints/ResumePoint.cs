namespace Distributed.Core.Checkpoints;

/// <summary>A verified checkpoint a run continues from: its directory and its manifest.</summary>
public sealed record ResumePoint(string Directory, CheckpointManifest Manifest);
