namespace Distributed.Core.DataParallel;

/// <summary>What each rank keeps of the optimizer's inputs and state (DeepSpeed's ZeRO stages 0 to 2).</summary>
public enum ZeroStage
{
    /// <summary>Gradients all-reduced; every rank keeps full optimizer state and updates every parameter.</summary>
    None = 0,

    /// <summary>Gradients all-reduced; each rank keeps optimizer state for its own slice only, updates it, and the slices are all-gathered.</summary>
    OptimizerState = 1,

    /// <summary>Gradients reduce-scattered so each rank holds the summed gradient of its slice only; otherwise as stage 1.</summary>
    Gradients = 2,
}
