namespace Distributed.Core.Compute;

/// <summary>Hyperparameters of one fused SGD/momentum/Nesterov update, as PyTorch defines them.</summary>
public readonly record struct SgdStep(float Lr, float Momentum, float Dampening, bool Nesterov, bool FirstStep);

/// <summary>One AdaGrad update: sum += g², p -= lr·g / (√sum + ε).</summary>
public readonly record struct AdaGradStep(float Lr, float Epsilon);

/// <summary>One RMSProp update with optional momentum and centering.</summary>
public readonly record struct RmsPropStep(float Lr, float Alpha, float Epsilon, float Momentum, bool Centered);

/// <summary>
/// One Adam/AdamW update. Bias corrections are passed in (1 − βᵗ) so the kernel does no powers;
/// <see cref="DecoupledDecay"/> is AdamW's lr·λ shrink applied to the parameter before the step.
/// </summary>
public readonly record struct AdamStep(
    float Lr, float Beta1, float Beta2, float Epsilon, float BiasCorrection1, float BiasCorrection2, bool AmsGrad, float DecoupledDecay);
