namespace Distributed.Coordinator.Jobs;

/// <summary>
/// How many steps the next assignment message carries. A rank reports a window once its last step is done, so each
/// window costs one message each way per rank, and a rank serialises its report, frames it and parses the next
/// window on the core its steps run on. With eight steps a window, that was about 0.25 ms of every eighth mlp step
/// (2 ms steps): one worker trained 4% slower than with 32 steps a window. So the window grows until it holds about
/// <see cref="DefaultTarget"/> of the ranks' step time, between <see cref="Min"/> and <see cref="Max"/> steps; slow
/// steps keep the eight-step window, and with it a report at least every eight steps.
/// </summary>
internal sealed class AssignmentWindow(TimeSpan target)
{
    public const int Min = 8;
    public const int Max = 64;

    /// <summary>Short enough that the progress line, the metrics and a stall still show within a blink.</summary>
    public static readonly TimeSpan DefaultTarget = TimeSpan.FromMilliseconds(50);

    /// <summary>Weight of the newest step in the running step time: a window's worth of steps settles it.</summary>
    private const double Smoothing = 0.125;

    private double _stepSeconds = double.NaN;

    public AssignmentWindow()
        : this(DefaultTarget)
    {
    }

    /// <summary>Steps for the next window: <see cref="Min"/> until a step has been timed.</summary>
    public int Next()
    {
        if (double.IsNaN(_stepSeconds))
        {
            return Min;
        }

        var fits = target.TotalSeconds / Math.Max(_stepSeconds, 1e-9);
        return (int)Math.Clamp(Math.Floor(fits), Min, Max);
    }

    /// <summary>One step's time as the ranks measured it.</summary>
    public void Observe(double stepSeconds)
    {
        if (!double.IsFinite(stepSeconds) || stepSeconds < 0)
        {
            return;
        }

        _stepSeconds = double.IsNaN(_stepSeconds) ? stepSeconds : _stepSeconds + (Smoothing * (stepSeconds - _stepSeconds));
    }
}
