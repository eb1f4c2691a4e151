namespace Distributed.Core.Training;

/// <summary>
/// A run's canonical configuration string: "key=value" pairs joined by "; ". Workers must send exactly the
/// coordinator's; a checkpoint records it, and a resume compares it key by key.
/// </summary>
public static class ConfigPairs
{
    public static string Format(IEnumerable<(string Key, object? Value)> pairs) =>
        string.Join("; ", pairs.Select(p => FormattableString.Invariant($"{p.Key}={p.Value}")));

    public static Dictionary<string, string> Parse(string config) =>
        config.Split("; ").Select(p => p.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First().ElementAtOrDefault(1) ?? "");
}
