using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

/// <summary>Builds a model, optimizer and trainer the way the CLI does, for end-to-end training tests.</summary>
internal static class TrainingHarness
{
    public static (Model Model, TrainingResult Result) Train(
        string model, Dataset train, Dataset? test, OptimizerSettings optimizer, int epochs, int batchSize,
        ulong seed = 1, int threads = 1, ScheduleSettings? schedule = null, float dropout = 0f)
    {
        var backend = new CpuBackend(threads);
        var outputs = train.Classes > 0 ? train.Classes : train.TargetLength;
        var choice = ModelChoice.Parse(model);
        var loss = choice.ImpliedLoss ?? (train.Classes > 0 ? LossKind.CrossEntropy : LossKind.MeanSquaredError);
        var built = choice.Create(train.SampleShape, outputs, loss, backend, new ModelOptions(seed, Dropout: dropout));
        var steps = (long)epochs * ((train.Count + batchSize - 1) / batchSize);
        var opt = optimizer.Create(backend, built.Parameters.Values, built.Parameters.Gradients, (schedule ?? new ScheduleSettings()).Create(steps));
        var trainer = new Trainer(built, opt, new TrainOptions(epochs, batchSize, seed, EvalBatchSize: 500), train.TargetLength);
        return (built, trainer.Fit(train, test));
    }

    public static Dataset Mnist(bool train) => MnistIdxReader.ReadDirectory(RepoPaths.FindUp("data/mnist-10k"), train);

    /// <summary>The first <paramref name="count"/> samples of <paramref name="data"/>.</summary>
    public static Dataset First(Dataset data, int count) => new(
        data.Name, data.SampleShape, data.Features[..(count * data.SampleLength)], data.Targets[..(count * data.TargetLength)], data.TargetLength, data.Classes);
}
