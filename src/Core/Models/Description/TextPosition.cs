namespace Distributed.Core.Models.Description;

/// <summary>Where in a description something starts: 1-based line and column, and the source's name for messages.</summary>
public readonly record struct TextPosition(string Source, int Line, int Column, bool OneLine)
{
    /// <summary>"--model, column 17" in a one-line description; "net.txt line 2, column 5" in one of several lines.</summary>
    public override string ToString() => OneLine ? $"{Source}, column {Column}" : $"{Source} line {Line}, column {Column}";
}
