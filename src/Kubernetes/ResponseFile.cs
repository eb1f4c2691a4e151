using System.Text;

namespace Distributed.Kubernetes;

/// <summary>
/// The training flags as a System.CommandLine response file (`train.rsp` in the job's ConfigMap), which both roles
/// read with `@/etc/distributed/train.rsp`: one flag and its values per line, values with spaces in double quotes.
/// </summary>
public static class ResponseFile
{
    public const string Header = "# Training flags for both roles, one per line (see `train --help`).";

    public const string CoordinatorHeader = "# The coordinator's own flags (checkpoints, resume, restarts), one per line: it tells the workers what to write and load.";

    public static string Format(IEnumerable<TrainFlag> flags, string header = Header)
    {
        var text = new StringBuilder(header).Append('\n');
        foreach (var flag in flags)
        {
            if (!flag.Name.StartsWith("--", StringComparison.Ordinal) || flag.Name.Length < 3 || flag.Name.Any(c => char.IsWhiteSpace(c) || c == '"'))
            {
                throw new ArgumentException($"'{flag.Name}' is not a flag", nameof(flags));
            }

            text.Append(flag.Name);
            foreach (var value in flag.Values)
            {
                text.Append(' ').Append(Quote(flag.Name, value));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// The response file reader splits a line on white space and strips double quotes, with no escape for a quote
    /// itself; a token starting with '@' would be read as another response file. Such values are refused.
    /// </summary>
    private static string Quote(string flag, string value)
    {
        if (value.Contains('"', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal) || value.StartsWith('@'))
        {
            throw new ArgumentException($"{flag} value '{value}' cannot be passed through a response file (it has a double quote, a line break or a leading '@')", nameof(value));
        }

        return value.Length == 0 || value.Any(char.IsWhiteSpace) || value.Contains('#', StringComparison.Ordinal) ? $"\"{value}\"" : value;
    }
}
