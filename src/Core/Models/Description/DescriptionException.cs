namespace Distributed.Core.Models.Description;

/// <summary>
/// A network description that cannot be read or built: one line naming where (<see cref="Where"/>) and what is wrong,
/// so a command line can print it as it is.
/// </summary>
public sealed class DescriptionException(string where, string problem) : ArgumentException($"{where}: {problem}")
{
    public string Where { get; } = where;

    public string Problem { get; } = problem;
}
