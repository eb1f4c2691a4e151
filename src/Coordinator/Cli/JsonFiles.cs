using System.Text.Json;
using Distributed.Core.Checkpoints;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// The JSON every command writes (summaries, benchmark rows, metrics lines): snake_case keys, and no NaN or
/// infinity, which JSON cannot hold; a number a run could not measure is written as null by its writer.
/// </summary>
internal static class JsonFiles
{
    /// <summary>One indented document per file.</summary>
    public static JsonSerializerOptions Document { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>One object per line (JSON Lines).</summary>
    public static JsonSerializerOptions Line { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> whole or not at all, creating its directory.</summary>
    public static void Write(string path, object value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Document));
}
