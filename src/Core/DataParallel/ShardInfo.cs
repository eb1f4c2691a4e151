namespace Distributed.Core.DataParallel;

/// <summary>
/// A contiguous run of a flat index space that one rank owns: its slice of the flat parameters, or its samples of a
/// global batch. May be empty.
/// </summary>
public readonly record struct ShardInfo(int Offset, int Length);
