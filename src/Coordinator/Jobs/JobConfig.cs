using Distributed.Core.Training;

namespace Distributed.Coordinator.Jobs;

/// <summary>The canonical configuration string: "key=value" pairs joined by "; ", compared verbatim at join.</summary>
internal static class JobConfig
{
    public static string Format(IEnumerable<(string Key, object? Value)> pairs) => ConfigPairs.Format(pairs);

    /// <summary>The first key whose value differs, for the refusal message.</summary>
    public static string Difference(string worker, string coordinator)
    {
        var mine = Parse(coordinator);
        var theirs = Parse(worker);
        foreach (var (key, value) in mine)
        {
            if (!theirs.TryGetValue(key, out var other) || other != value)
            {
                return $"{key} is '{other ?? "(missing)"}' on the worker, '{value}' on the coordinator";
            }
        }

        var extra = theirs.Keys.Except(mine.Keys).FirstOrDefault();
        return extra is null ? "the settings are ordered differently" : $"the worker sets '{extra}', which the coordinator does not know";
    }

    private static Dictionary<string, string> Parse(string config) => ConfigPairs.Parse(config);
}
