using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

/// <summary>Builds any optimizer by name, so theories over "every optimizer" stay serializable strings.</summary>
internal static class OptimizerFactory
{
    public static readonly string[] Kinds = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"];

    public static Optimizer Create(string kind, Tensor parameters, Tensor gradients, double lr, double weightDecay = 0, double l1 = 0, double? maxGradNorm = null)
    {
        var backend = FixedProblem.Backend();
        return kind switch
        {
            "sgd" => new Sgd(backend, parameters, gradients, new SgdOptions { Lr = lr, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            "momentum" => new Sgd(backend, parameters, gradients, new SgdOptions { Lr = lr, Momentum = 0.9, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            "nesterov" => new Sgd(backend, parameters, gradients, new SgdOptions { Lr = lr, Momentum = 0.9, Nesterov = true, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            "adagrad" => new AdaGrad(backend, parameters, gradients, new AdaGradOptions { Lr = lr, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            "rmsprop" => new RmsProp(backend, parameters, gradients, new RmsPropOptions { Lr = lr, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            "adam" => new Adam(backend, parameters, gradients, new AdamOptions { Lr = lr, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            "adamw" => new AdamW(backend, parameters, gradients, new AdamOptions { Lr = lr, WeightDecay = weightDecay, L1 = l1, MaxGradNorm = maxGradNorm }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer"),
        };
    }

    public static Optimizer Create(string kind, double lr, double weightDecay = 0, double l1 = 0, double? maxGradNorm = null) =>
        Create(kind, new Tensor(3), new Tensor(3), lr, weightDecay, l1, maxGradNorm);
}
