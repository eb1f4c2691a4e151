using System.Globalization;
using Distributed.Coordinator.Cli;

namespace Distributed.Coordinator.Sweeps;

/// <summary>How a parameter's values are laid out: a list and an integer range can be enumerated; the two float ranges only sampled.</summary>
internal enum SpecKind
{
    List,
    IntRange,
    Uniform,
    Log,
}

/// <summary>
/// One `--param NAME=SPEC`: `[a,b,c]` a list, `1..8` integers (both ends included), `uniform(a,b)` and `log(a,b)`
/// floats. A list keeps its items as the text the train flag will read, so `[sgd,adam]` and `[1e-3,0.1]` are alike.
/// </summary>
internal sealed record ParameterSpec(string Name, SpecKind Kind, IReadOnlyList<string> Items, double Low, double High)
{
    /// <summary>Significant digits a sampled float keeps: enough to tell trials apart, few enough that a command line reads.</summary>
    public const int SampledDigits = 4;

    public bool Enumerable => Kind is SpecKind.List or SpecKind.IntRange;

    /// <summary>Every value of a list or an integer range, in order.</summary>
    public IReadOnlyList<string> Values => Kind switch
    {
        SpecKind.List => Items,
        SpecKind.IntRange => [.. System.Linq.Enumerable.Range((int)Low, (int)(High - Low) + 1).Select(i => Format(i))],
        _ => throw new InvalidOperationException($"{Name} is a float range"),
    };

    public static ParameterSpec Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw Bad(text, "expected NAME=SPEC");
        }

        var name = text[..eq].Trim();
        var spec = text[(eq + 1)..].Trim();
        if (name.StartsWith('-'))
        {
            throw Bad(text, "NAME is a train flag without dashes");
        }

        if (spec.StartsWith('[') && spec.EndsWith(']'))
        {
            var items = spec[1..^1].Split(',').Select(s => s.Trim()).ToArray();
            if (items.Any(i => i.Length == 0))
            {
                throw Bad(text, "a list needs non-empty items, as [a,b,c]");
            }

            if (items.Distinct().Count() != items.Length)
            {
                throw Bad(text, "a list names each value once");
            }

            return new ParameterSpec(name, SpecKind.List, items, 0, 0);
        }

        var dots = spec.IndexOf("..", StringComparison.Ordinal);
        if (dots > 0)
        {
            if (!int.TryParse(spec[..dots], NumberStyles.Integer, CultureInfo.InvariantCulture, out var lo)
                || !int.TryParse(spec[(dots + 2)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var hi))
            {
                throw Bad(text, "an integer range is LOW..HIGH with integers; a float range is uniform(a,b) or log(a,b)");
            }

            return lo <= hi ? new ParameterSpec(name, SpecKind.IntRange, [], lo, hi) : throw Bad(text, $"{lo}..{hi} is empty");
        }

        foreach (var (prefix, kind) in new[] { ("uniform(", SpecKind.Uniform), ("log(", SpecKind.Log) })
        {
            if (!spec.StartsWith(prefix, StringComparison.Ordinal) || !spec.EndsWith(')'))
            {
                continue;
            }

            var bounds = spec[prefix.Length..^1].Split(',');
            if (bounds.Length != 2
                || !double.TryParse(bounds[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                || !double.TryParse(bounds[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var b)
                || !double.IsFinite(a) || !double.IsFinite(b))
            {
                throw Bad(text, $"expected {prefix}a,b) with two finite numbers");
            }

            if (!(a < b))
            {
                throw Bad(text, "the lower bound must be below the upper one");
            }

            if (kind == SpecKind.Log && !(a > 0))
            {
                throw Bad(text, "a log range needs bounds above 0");
            }

            return new ParameterSpec(name, kind, [], a, b);
        }

        throw Bad(text, "SPEC is [a,b,c], LOW..HIGH, uniform(a,b) or log(a,b)");
    }

    /// <summary>The value at <paramref name="u"/> in [0,1): an item, an integer, or a float spread linearly or on a log scale.</summary>
    public string At(double u) => Kind switch
    {
        SpecKind.List => Items[Math.Min(Items.Count - 1, (int)(u * Items.Count))],
        SpecKind.IntRange => Format(Math.Min(High, Math.Floor(Low + (u * (High - Low + 1))))),
        SpecKind.Uniform => Format(Round(Low + (u * (High - Low)))),
        _ => Format(Round(Math.Exp(Math.Log(Low) + (u * (Math.Log(High) - Math.Log(Low)))))),
    };

    public override string ToString() => Kind switch
    {
        SpecKind.List => $"{Name}=[{string.Join(',', Items)}]",
        SpecKind.IntRange => $"{Name}={Format(Low)}..{Format(High)}",
        SpecKind.Uniform => $"{Name}=uniform({Format(Low)},{Format(High)})",
        _ => $"{Name}=log({Format(Low)},{Format(High)})",
    };

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Rounded to <see cref="SampledDigits"/>, then kept inside the bounds the rounding may have crossed.</summary>
    private double Round(double value) =>
        Math.Clamp(double.Parse(value.ToString($"G{SampledDigits}", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), Low, High);

    private static UsageException Bad(string text, string why) => new($"--param '{text}': {why}");
}
