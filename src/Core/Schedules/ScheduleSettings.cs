namespace Distributed.Core.Schedules;

/// <summary>A schedule chosen by name, with its parameters; counted in optimizer steps.</summary>
public sealed record ScheduleSettings
{
    public static IReadOnlyList<string> Names { get; } = ["constant", "step", "exponential", "cosine"];

    public string Name { get; init; } = "constant";

    public int StepSize { get; init; } = 1000;

    public double Gamma { get; init; } = 0.1;

    public double MinLr { get; init; }

    public int WarmupSteps { get; init; }

    public string Describe()
    {
        var core = Name switch
        {
            "step" => $"step (every {StepSize} steps ×{Gamma})",
            "exponential" => $"exponential (×{Gamma} per step)",
            "cosine" => $"cosine (to {MinLr})",
            _ => Name,
        };
        return WarmupSteps > 0 ? $"{core} after {WarmupSteps} warm-up steps" : core;
    }

    /// <summary>Builds the schedule for a run of <paramref name="totalSteps"/> optimizer steps.</summary>
    public LearningRateSchedule Create(long totalSteps)
    {
        if (WarmupSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, $"warm-up steps must be ≥ 0, got {WarmupSteps}");
        }

        var defaults = new ScheduleSettings();
        void Refuse(bool set, string name, string usedBy)
        {
            if (set && Names.Contains(Name))
            {
                throw new ArgumentException($"{name} is not used by the {Name} schedule (only by {usedBy})");
            }
        }

        // A parameter of another schedule is a mistake, refused rather than ignored.
        Refuse(StepSize != defaults.StepSize && Name != "step", "lr-step-size", "step");
        Refuse(Gamma != defaults.Gamma && Name is not ("step" or "exponential"), "lr-gamma", "step and exponential");
        Refuse(MinLr != defaults.MinLr && Name != "cosine", "lr-min", "cosine");

        LearningRateSchedule inner = Name switch
        {
            "constant" => new ConstantSchedule(),
            "step" => new StepSchedule(StepSize, Gamma),
            "exponential" => new ExponentialSchedule(Gamma),
            "cosine" => new CosineSchedule(Math.Max(1, totalSteps - WarmupSteps), MinLr),
            _ => throw new ArgumentException($"unknown learning-rate schedule '{Name}' (expected one of: {string.Join(", ", Names)})"),
        };
        return WarmupSteps > 0 ? new WarmupSchedule(WarmupSteps, inner) : inner;
    }
}
