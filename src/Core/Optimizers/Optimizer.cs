using Distributed.Core.Compute;
using Distributed.Core.Schedules;
using Distributed.Core.Telemetry;
using Distributed.Core.Tensors;

namespace Distributed.Core.Optimizers;

/// <summary>
/// Updates a flat slice of parameters from the matching slice of gradients. The base class owns the step:
/// count, schedule, clipping, coupled penalties; a subclass writes only its per-slice update. Because it
/// only ever sees one contiguous slice, a ZeRO shard is just an optimizer built over that rank's slice.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IComputeBackend backend, Tensor parameters, Tensor gradients, OptimizerOptions options, LearningRateSchedule? schedule)
    {
        options.Validate();
        if (parameters.Length != gradients.Length)
        {
            throw new ArgumentException($"parameters ({parameters.Length}) and gradients ({gradients.Length}) differ in length");
        }

        Backend = backend;
        Parameters = parameters;
        Gradients = gradients;
        Options = options;
        Schedule = schedule ?? new ConstantSchedule();
    }

    public abstract string Name { get; }

    /// <summary>Floats of state kept per parameter (what ZeRO stage 1 divides among ranks).</summary>
    public abstract int StateFloatsPerParameter { get; }

    public OptimizerOptions Options { get; }

    public LearningRateSchedule Schedule { get; }

    /// <summary>Updates taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>The learning rate the last step used.</summary>
    public double LastLr { get; private set; }

    /// <summary>The gradient norm before clipping at the last step (NaN when clipping is off).</summary>
    public double LastGradNorm { get; private set; } = double.NaN;

    /// <summary>Whether a step clips by the global gradient norm, and so needs the global Σg².</summary>
    public bool ClipsGradients => Options.MaxGradNorm is not null;

    protected IComputeBackend Backend { get; }

    protected Tensor Parameters { get; }

    protected Tensor Gradients { get; }

    public void ZeroGrad() => Backend.Fill(Gradients, 0f);

    /// <summary>Σg² of this optimizer's slice: the whole gradient's unless the slice is a shard.</summary>
    public double LocalSumOfSquares() => Backend.SumOfSquares(Gradients);

    /// <summary>One update of a slice that is the whole gradient, so its own Σg² is the global one.</summary>
    public void Step()
    {
        using var span = Spans.StartPhase(Spans.Optimizer);
        Apply(ClipsGradients ? LocalSumOfSquares() : double.NaN);
    }

    /// <summary>
    /// One update, clipped (when clipping is on) by the norm of the full gradient: <paramref name="globalSumOfSquares"/>
    /// is Σg² over every shard, which the caller has combined (an all-reduce) before the step, so the step never
    /// waits. The caller has also checked it is finite (<see cref="Training.NonFiniteGuard"/>).
    /// </summary>
    public void Step(double globalSumOfSquares)
    {
        using var span = Spans.StartPhase(Spans.Optimizer);
        Apply(globalSumOfSquares);
    }

    /// <summary>This optimizer's state over its slice, by name (what a checkpoint holds beside the parameters).</summary>
    public virtual IReadOnlyList<(string Name, Tensor Values)> State => [];

    /// <summary>Continues from a checkpoint taken after <paramref name="stepCount"/> updates; the state tensors are restored by the caller.</summary>
    public void RestoreStepCount(long stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
    }

    /// <summary>The L2 coefficient added to the gradient; AdamW decouples it and returns 0.</summary>
    protected virtual double CoupledWeightDecay => Options.WeightDecay;

    /// <summary>Applies one update at learning rate <paramref name="lr"/>; <see cref="StepCount"/> is already this step's 1-based index.</summary>
    protected abstract void Update(double lr);

    protected Tensor NewState() => new(Parameters.Length);

    private void Apply(double globalSumOfSquares)
    {
        var lr = Schedule.At(Options.Lr, StepCount);
        StepCount++;
        LastLr = lr;
        if (Options.MaxGradNorm is { } maxNorm)
        {
            var norm = Math.Sqrt(globalSumOfSquares);
            LastGradNorm = norm;

            // PyTorch's clip_grad_norm_: scale by max/(norm + 1e-6) only when that is below one.
            var factor = maxNorm / (norm + 1e-6);
            if (factor < 1)
            {
                Backend.Scale(Gradients, (float)factor);
            }
        }

        var l2 = CoupledWeightDecay;
        if (l2 != 0 || Options.L1 != 0)
        {
            Backend.AddWeightPenalty(Parameters, Gradients, (float)l2, (float)Options.L1);
        }

        Update(lr);
    }
}
