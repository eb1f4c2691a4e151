using System.CommandLine;
using System.CommandLine.Parsing;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// System.CommandLine reads every "@path" argument as a response file, which the Kubernetes roles are started with;
/// but `--model @net.txt` names a network description. This parser configuration leaves the value after --model as
/// it is and expands every other @path as before.
/// </summary>
internal static class ModelFileTokens
{
    public static ParserConfiguration Configuration(IReadOnlyList<string> args)
    {
        var standard = new ParserConfiguration().ResponseFileTokenReplacer;
        var kept = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            if (args[i - 1] == "--model" && args[i].StartsWith('@'))
            {
                kept.Add(args[i][1..]);
            }
        }

        return new ParserConfiguration
        {
            ResponseFileTokenReplacer = (string token, out IReadOnlyList<string>? replacement, out string? error) =>
            {
                if (kept.Contains(token) || standard is null)
                {
                    // Not replaced and no error: the parser takes the token as the option's value.
                    replacement = null;
                    error = null;
                    return false;
                }

                return standard(token, out replacement, out error);
            },
        };
    }
}
