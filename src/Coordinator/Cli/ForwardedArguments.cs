using System.CommandLine;
using System.CommandLine.Parsing;

namespace Distributed.Coordinator.Cli;

/// <summary>Re-emits the flags a user actually gave, exactly as given, so a launched worker parses the same values.</summary>
internal static class ForwardedArguments
{
    public static IEnumerable<string> Of(ParseResult parsed, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            if (parsed.GetResult(option) is not OptionResult { Implicit: false } result)
            {
                continue;
            }

            yield return option.Name;
            foreach (var token in result.Tokens)
            {
                yield return token.Value;
            }
        }
    }
}
