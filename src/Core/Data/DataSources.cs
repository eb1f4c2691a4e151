namespace Distributed.Core.Data;

/// <summary>A training set, an optional held-out set, and a line saying where they came from.</summary>
public sealed record DataSplit(Dataset Train, Dataset? Test, string Description);

/// <summary>
/// Turns the user's <c>--data</c> value into data sets: a directory of MNIST IDX files or CIFAR-10 batches,
/// a CSV file, "synthetic" (random samples of the model's input shape, for benchmarks) or "builtin"
/// (the four-point line y = 2x). With no value, classifiers train on the bundled MNIST subset.
/// </summary>
public static class DataSources
{
    public const string BundledMnist = "data/mnist-10k";

    public static DataSplit Load(string? spec, string? testSpec, bool classifier, int[] syntheticShape, int syntheticCount, ulong seed)
    {
        spec ??= classifier ? FindBundledMnist() : "builtin";
        switch (spec)
        {
            case "builtin":
                var line = LinearRegressionData.Builtin();
                return new DataSplit(line, null, "built-in line y = 2x: (1,2) (2,4) (3,6) (4,8)");
            case "synthetic":
                var classes = classifier ? 10 : 0;
                var train = SyntheticData.Create(syntheticShape, classes, syntheticCount, seed);
                var test = SyntheticData.Create(syntheticShape, classes, Math.Max(1, syntheticCount / 4), seed + 1);
                return new DataSplit(train, test, $"synthetic {Shape(syntheticShape)}, {train.Count} train / {test.Count} test samples");
        }

        if (Directory.Exists(spec))
        {
            if (MnistIdxReader.LooksLikeMnistDirectory(spec))
            {
                var test = MnistIdxReader.HasSplit(spec, train: false) ? MnistIdxReader.ReadDirectory(spec, train: false) : null;
                return Describe(MnistIdxReader.ReadDirectory(spec, train: true), test, $"MNIST IDX in {spec}");
            }

            if (Cifar10Reader.LooksLikeCifarDirectory(spec))
            {
                var test = Cifar10Reader.HasSplit(spec, train: false) ? Cifar10Reader.ReadDirectory(spec, train: false) : null;
                return Describe(Cifar10Reader.ReadDirectory(spec, train: true), test, $"CIFAR-10 in {spec}");
            }

            throw new DataFormatException($"{spec}: holds neither MNIST IDX files (train-images-idx3-ubyte[.gz], …) nor CIFAR-10 batches (data_batch_1.bin, …)");
        }

        if (File.Exists(spec))
        {
            var train = ReadCsv(spec, classifier);
            var test = testSpec is null ? null : ReadCsv(testSpec, classifier);
            if (test is not null && test.SampleLength != train.SampleLength)
            {
                throw new DataFormatException($"{testSpec}: {test.SampleLength} features, but {spec} has {train.SampleLength}");
            }

            return Describe(train, test, $"CSV {spec}");
        }

        throw new DataFormatException($"{spec}: no such file or directory (expected an MNIST or CIFAR-10 directory, a CSV file, 'synthetic' or 'builtin')");
    }

    /// <summary>
    /// The bundled subset, relative to the working directory or, failing that, to the nearest parent of the
    /// program's directory that has it, so `dotnet run` works from any directory inside the repository.
    /// </summary>
    public static string FindBundledMnist()
    {
        if (Directory.Exists(BundledMnist))
        {
            return BundledMnist;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, BundledMnist);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DataFormatException($"{BundledMnist}: not found here or above {AppContext.BaseDirectory}; pass --data DIR");
    }

    /// <summary>
    /// The most classes a CSV classifier may have. Beyond it a label is almost surely a regression target or an id
    /// column (a 1e9 "label" would ask for a billion outputs); it is also where float labels stop being exact.
    /// </summary>
    public const int MaxCsvClasses = 1 << 16;

    /// <summary>Classifier CSVs carry integer labels; the class count is the largest label + 1 (at least 2).</summary>
    private static Dataset ReadCsv(string path, bool classifier)
    {
        // The reader checks each label against the bound and names the line of the first one outside it.
        var data = CsvReader.Read(path, classes: classifier ? MaxCsvClasses : null);
        if (!classifier)
        {
            return data;
        }

        var max = 0f;
        foreach (var t in data.Targets)
        {
            max = Math.Max(max, t);
        }

        return new Dataset(data.Name, data.SampleShape, data.Features, data.Targets, 1, Math.Max(2, (int)max + 1));
    }

    private static DataSplit Describe(Dataset train, Dataset? test, string where) =>
        new(train, test, $"{where}: {train.Count} train{(test is null ? "" : $" / {test.Count} test")} samples of {Shape(train.SampleShape)}");

    private static string Shape(int[] shape) => string.Join('x', shape);
}
