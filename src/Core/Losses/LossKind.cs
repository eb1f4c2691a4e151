using Distributed.Core.Compute;

namespace Distributed.Core.Losses;

/// <summary>The losses a model trains with, by the names the command line uses.</summary>
public enum LossKind
{
    /// <summary>"mse": mean squared error over regression targets.</summary>
    MeanSquaredError,

    /// <summary>"cross-entropy": softmax cross-entropy over class labels.</summary>
    CrossEntropy,
}

public static class LossKinds
{
    public static IReadOnlyList<string> Names { get; } = ["mse", "cross-entropy"];

    public static string Name(this LossKind kind) => kind == LossKind.MeanSquaredError ? "mse" : "cross-entropy";

    public static LossKind Parse(string name) => name switch
    {
        "mse" => LossKind.MeanSquaredError,
        "cross-entropy" => LossKind.CrossEntropy,
        _ => throw new ArgumentException($"unknown loss '{name}' (expected {string.Join(" or ", Names)})"),
    };

    public static Loss Create(this LossKind kind, IComputeBackend backend) =>
        kind == LossKind.MeanSquaredError ? new MeanSquaredError(backend) : new SoftmaxCrossEntropy(backend);
}
