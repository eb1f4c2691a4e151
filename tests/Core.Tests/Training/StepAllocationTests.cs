using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

/// <summary>
/// Once its buffers are planned (the first steps), a training step allocates nothing: no GC pressure, no pauses.
/// Counted with the calling thread's allocation counter, which no other test running in parallel can disturb; with
/// 2 threads this still covers everything the step does on the calling thread, including dispatching parallel work.
/// </summary>
public sealed class StepAllocationTests
{
    public static TheoryData<string, string, int, float> Cases()
    {
        var data = new TheoryData<string, string, int, float>();
        foreach (var optimizer in OptimizerSettings.Names)
        {
            data.Add("mlp", optimizer, 1, 0f);
        }

        data.Add("mlp", "adam", 2, 0.2f);
        data.Add("cnn", "adam", 1, 0f);
        data.Add("cnn", "sgd", 2, 0.2f);

        // Every layer kind a description offers, on one thread and on two.
        const string everyKind = "conv(4,3,pad=1) leakyrelu(0.1) avgpool(2) conv(4,3) gelu maxpool(2,stride=1) tanh flatten dropout(0.2) linear(16) sigmoid linear(10)";
        data.Add(everyKind, "adam", 1, 0f);
        data.Add(everyKind, "sgd", 2, 0f);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AWarmTrainingStepAllocatesNothing(string modelName, string optimizerName, int threads, float dropout)
    {
        int[] shape = modelName == "mlp" ? [784] : [3, 12, 12];
        const int batch = 16;
        var data = SyntheticData.Create(shape, classes: 10, count: 64, seed: 3);
        var backend = new CpuBackend(threads);
        var model = ModelChoice.Parse(modelName).Create(shape, 10, Core.Losses.LossKind.CrossEntropy, backend, new ModelOptions(1, Dropout: dropout));
        var settings = new OptimizerSettings { Name = optimizerName, Lr = 1e-3, WeightDecay = 1e-4, MaxGradNorm = 5 };
        var trainer = new Trainer(model, settings.Create(backend, model.Parameters.Values, model.Parameters.Gradients, null), new TrainOptions(1, batch, 1), data.TargetLength);
        var indices = new int[batch];
        void Step(int s)
        {
            for (var i = 0; i < batch; i++)
            {
                indices[i] = ((s * batch) + i) % data.Count;
            }

            trainer.TrainStep(data, indices);
        }

        for (var s = 0; s < 3; s++)
        {
            Step(s);
        }

        // A step that allocates does so in every window; a one-off runtime event (a JIT tier-up under a busy test run)
        // shows in one window only, so the quietest of three windows is the step's own figure.
        var windows = new long[3];
        for (var w = 0; w < windows.Length; w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var s = 3 + (5 * w); s < 8 + (5 * w); s++)
            {
                Step(s);
            }

            windows[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(windows.Min() == 0, $"bytes allocated in three windows of 5 warm steps: {string.Join(", ", windows)}");
    }
}
