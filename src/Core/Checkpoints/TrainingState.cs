using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;

namespace Distributed.Core.Checkpoints;

/// <summary>
/// Moves a rank's training state between memory and a checkpoint. A rank writes the range of the flat index space
/// that <see cref="ZeroPartition"/> gives it among the ranks writing (whatever ZeRO stage it trains under), so the
/// ranks write disjoint files at the same time and nothing is gathered; a reader of any world size and stage takes
/// the full parameters and, of each state tensor, the range its own optimizer covers, from whichever files hold it.
/// </summary>
public static class TrainingState
{
    /// <summary>
    /// Writes this rank's range of the parameters and of <paramref name="optimizer"/>'s state (which covers
    /// <paramref name="optimizerSlice"/> of the flat parameters, and is null for a rank whose slice is empty).
    /// </summary>
    public static CheckpointShard WriteShard(string stepDirectory, int rank, int worldSize, Model model, Optimizer? optimizer, ShardInfo optimizerSlice, IReadOnlyList<string> stateNames)
    {
        var parameters = model.Parameters.Values;
        var range = Range(parameters.Length, worldSize, rank);
        model.Backend.Download(parameters.Slice(range.Offset, range.Length));
        var tensors = new List<(string, ReadOnlyMemory<float>)> { ("parameters", parameters.Storage.AsMemory(parameters.Offset + range.Offset, range.Length)) };
        var state = optimizer?.State ?? [];
        if (range.Length > 0 && (state.Count != stateNames.Count || range.Offset < optimizerSlice.Offset || range.Offset + range.Length > optimizerSlice.Offset + optimizerSlice.Length))
        {
            throw new InvalidOperationException($"rank {rank}'s optimizer does not hold its checkpoint range [{range.Offset}, {range.Offset + range.Length})");
        }

        for (var i = 0; i < stateNames.Count; i++)
        {
            if (range.Length == 0)
            {
                tensors.Add((stateNames[i], ReadOnlyMemory<float>.Empty));
                continue;
            }

            var slice = state[i].Values.Slice(range.Offset - optimizerSlice.Offset, range.Length);
            model.Backend.Download(slice);
            tensors.Add((stateNames[i], slice.Storage.AsMemory(slice.Offset, slice.Length)));
        }

        Directory.CreateDirectory(stepDirectory);
        return ShardFile.Write(Path.Combine(stepDirectory, CheckpointDirectory.ShardName(rank, worldSize)), range.Offset, tensors);
    }

    /// <summary>
    /// Loads the full parameters and this rank's range of the optimizer state from a verified checkpoint, and sets
    /// the optimizer's step count (its schedule position). The optimizer must keep the state the checkpoint has.
    /// </summary>
    public static void Load(string directory, CheckpointManifest manifest, Model model, Optimizer? optimizer, ShardInfo optimizerSlice)
    {
        var parameters = model.Parameters.Values;
        if (manifest.ParameterCount != parameters.Length)
        {
            throw new DataFormatException($"{directory}: holds {manifest.ParameterCount:N0} parameters, the model has {parameters.Length:N0}");
        }

        var state = optimizer?.State ?? [];
        if (optimizer is not null && !state.Select(s => s.Name).SequenceEqual(manifest.State))
        {
            throw new DataFormatException($"{directory}: holds optimizer state {string.Join(", ", manifest.State)}; {optimizer.Name} keeps {string.Join(", ", state.Select(s => s.Name))}");
        }

        var names = CheckpointDirectory.TensorNames(manifest);
        foreach (var shard in manifest.Shards)
        {
            var tensors = ShardFile.Read(directory, shard, names);
            tensors[0].CopyTo(parameters.Span[(int)shard.Offset..]);
            var from = Math.Max(shard.Offset, optimizerSlice.Offset);
            var to = Math.Min(shard.Offset + shard.Length, optimizerSlice.Offset + optimizerSlice.Length);
            for (var i = 0; i < state.Count && from < to; i++)
            {
                tensors[i + 1].AsSpan((int)(from - shard.Offset), (int)(to - from)).CopyTo(state[i].Values.Span[(int)(from - optimizerSlice.Offset)..]);
            }
        }

        model.Backend.Upload(parameters);
        foreach (var (_, values) in state)
        {
            model.Backend.Upload(values);
        }

        optimizer?.RestoreStepCount(manifest.OptimizerSteps);
    }

    private static ShardInfo Range(int parameterCount, int worldSize, int rank)
    {
        var partition = ZeroPartition.Of(parameterCount, worldSize);
        return new ShardInfo(partition.Start(rank), partition.Length(rank));
    }
}
