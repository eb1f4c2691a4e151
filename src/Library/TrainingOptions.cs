namespace Distributed;

/// <summary>
/// How to train a <see cref="Network"/>. Every property left null keeps the command line's default (see
/// `train --help`), which is defined once, there.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>MNIST IDX directory, CIFAR-10 directory, CSV file, "synthetic" or "builtin"; null: the bundled MNIST subset.</summary>
    public string? Data { get; init; }

    /// <summary>A held-out CSV file (MNIST and CIFAR-10 directories bring their own test set).</summary>
    public string? TestData { get; init; }

    /// <summary>"mse" or "cross-entropy"; null: cross-entropy.</summary>
    public string? Loss { get; init; }

    /// <summary>Passes over the training set.</summary>
    public int? Epochs { get; init; }

    /// <summary>Samples per optimizer step: the global batch, split among the workers.</summary>
    public int? BatchSize { get; init; }

    /// <summary>sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw.</summary>
    public string? Optimizer { get; init; }

    /// <summary>The optimizer's base learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Seeds initialisation, shuffling and dropout: the same seed trains to the same bits.</summary>
    public ulong? Seed { get; init; }

    /// <summary>auto, cpu, cuda or ilgpu-cpu.</summary>
    public string? Device { get; init; }

    /// <summary>
    /// 0: train in this process. N: a local data-parallel job of N worker processes, each a copy of this program
    /// started again: its Main must begin with <see cref="Training.RunIfWorker"/>.
    /// </summary>
    public int Workers { get; init; }

    /// <summary>Write the trained parameters here (the engine's parameter file, which `predict` reads).</summary>
    public string? SaveParameters { get; init; }

    /// <summary>Write the trained network here as an ONNX model.</summary>
    public string? ExportOnnx { get; init; }

    /// <summary>Where the run's progress goes; null: nowhere.</summary>
    public TextWriter? Log { get; init; }
}
