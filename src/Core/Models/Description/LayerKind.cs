using System.Globalization;
using Distributed.Core.Compute;
using Distributed.Core.Layers;

namespace Distributed.Core.Models.Description;

/// <summary>An argument of a layer in a description: its name, whether it must be given, and the values it admits.</summary>
public sealed record ArgumentSpec(string Name, ArgumentRule Rule, double? Default = null, string? Alias = null)
{
    public bool Required => Default is null && Rule != ArgumentRule.StrideOrKernel;
}

/// <summary>What an argument's number must be.</summary>
public enum ArgumentRule
{
    /// <summary>A whole number ≥ 1 (sizes, kernels, strides).</summary>
    Positive,

    /// <summary>A whole number ≥ 0 (padding).</summary>
    NonNegative,

    /// <summary>A pooling stride: positive, and when not given, the kernel.</summary>
    StrideOrKernel,

    /// <summary>A probability in [0, 1).</summary>
    Probability,

    /// <summary>Any finite number.</summary>
    Finite,
}

/// <summary>
/// A layer a description may name: its spelling, its aliases, its arguments in positional order, and how to make
/// it. The table of kinds is the one place the syntax's vocabulary lives.
/// </summary>
public sealed record LayerKind(string Name, string[] Aliases, ArgumentSpec[] Arguments, Func<double[], ulong, Layer> Create)
{
    /// <summary>The largest size, kernel, stride or padding a description may give: a 2^24-wide layer is a typo, not a network.</summary>
    public const int MaxSize = 1 << 24;

    public static IReadOnlyList<LayerKind> All { get; } =
    [
        new("linear", ["dense", "fc"], [new("out", ArgumentRule.Positive)], (a, _) => new Linear((int)a[0])),
        new("conv", ["conv2d"],
            [new("out", ArgumentRule.Positive), new("kernel", ArgumentRule.Positive), new("stride", ArgumentRule.Positive, 1), new("pad", ArgumentRule.NonNegative, 0, "padding")],
            (a, _) => new Conv2d((int)a[0], (int)a[1], (int)a[2], (int)a[3])),
        new("maxpool", ["maxpool2d"], [new("kernel", ArgumentRule.Positive), new("stride", ArgumentRule.StrideOrKernel)], (a, _) => new MaxPool2d((int)a[0], (int)a[1])),
        new("avgpool", ["avgpool2d"], [new("kernel", ArgumentRule.Positive), new("stride", ArgumentRule.StrideOrKernel)], (a, _) => new AvgPool2d((int)a[0], (int)a[1])),
        new("flatten", [], [], (_, _) => new Flatten()),
        new("dropout", [], [new("p", ArgumentRule.Probability)], (a, seed) => new Dropout((float)a[0], seed)),
        new("relu", [], [], (_, _) => new ReLU()),
        new("leakyrelu", ["leaky_relu", "leaky"], [new("slope", ArgumentRule.Finite, AsWritten(ActivationFunction.DefaultLeakySlope))], (a, _) => new LeakyReLU((float)a[0])),
        new("tanh", [], [], (_, _) => new Tanh()),
        new("sigmoid", [], [], (_, _) => new Sigmoid()),
        new("gelu", [], [], (_, _) => new GELU()),
    ];

    /// <summary>A float default as the decimal a person writes (0.01, not 0.009999999776…), so that writing it equals omitting it.</summary>
    private static double AsWritten(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static LayerKind? Find(string name) =>
        All.FirstOrDefault(k => k.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || k.Aliases.Any(a => a.Equals(name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The layer's canonical text: required arguments by position, the others by name where they differ from their default.</summary>
    public string Format(double[] values)
    {
        var parts = new List<string>();
        for (var i = 0; i < Arguments.Length; i++)
        {
            var spec = Arguments[i];
            var value = values[i].ToString("R", CultureInfo.InvariantCulture);
            if (spec.Required)
            {
                parts.Add(value);
            }
            else if (values[i] != DefaultOf(spec, values))
            {
                parts.Add($"{spec.Name}={value}");
            }
        }

        return parts.Count == 0 ? Name : $"{Name}({string.Join(',', parts)})";
    }

    /// <summary>The value an optional argument takes when not given (a pool's stride is its kernel).</summary>
    public double DefaultOf(ArgumentSpec spec, double[] values) =>
        spec.Rule == ArgumentRule.StrideOrKernel ? values[0] : spec.Default ?? double.NaN;

    /// <summary>Why <paramref name="value"/> is not allowed for <paramref name="spec"/>, or null when it is.</summary>
    public static string? Check(ArgumentSpec spec, double value) => spec.Rule switch
    {
        ArgumentRule.Positive or ArgumentRule.StrideOrKernel when value != Math.Floor(value) || value < 1 || value > MaxSize =>
            $"'{spec.Name}' must be a whole number from 1 to {MaxSize}, got {Show(value)}",
        ArgumentRule.NonNegative when value != Math.Floor(value) || value < 0 || value > MaxSize =>
            $"'{spec.Name}' must be a whole number from 0 to {MaxSize}, got {Show(value)}",
        ArgumentRule.Probability when !(value >= 0 && value < 1) => $"'{spec.Name}' must be a probability in [0, 1), got {Show(value)}",
        ArgumentRule.Finite when !double.IsFinite(value) || !float.IsFinite((float)value) => $"'{spec.Name}' must be a finite number, got {Show(value)}",
        _ => null,
    };

    /// <summary>"linear(out)", "conv(out, kernel, stride=1, pad=0)": what a usage message shows.</summary>
    public string Signature() => Arguments.Length == 0
        ? Name
        : $"{Name}({string.Join(", ", Arguments.Select(a => a.Required ? a.Name : a.Rule == ArgumentRule.StrideOrKernel ? $"{a.Name}=kernel" : $"{a.Name}={Show(a.Default!.Value)}"))})";

    private static string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
