using System.Diagnostics;
using Distributed.Worker.Internal;

namespace Distributed.Worker.Tests.Internal;

public class StepWallClockTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void AStepCountsFromTheEndOfTheOneBeforeIt()
    {
        var clock = new StepWallClock();
        var arrived = 100 * Second;

        // The first step this process runs counts from its window's arrival; the next one from the first's end, even
        // when its own window arrived later (the rank waited for it, and that wait is part of the step).
        Assert.Equal(2.0, clock.EndStep(arrived, arrived + (2 * Second)));
        Assert.Equal(3.0, clock.EndStep(arrived + (4 * Second), arrived + (5 * Second)));
    }

    [Fact]
    public void AnEvaluationBetweenStepsIsSetAside()
    {
        var clock = new StepWallClock();
        clock.EndStep(0, 10 * Second);

        // Evaluation ran from 10 s to 40 s; the next window arrived at 40.5 s and its first step ended at 41 s, so the
        // step counts the half second of waiting after the evaluation and not the evaluation.
        clock.SetAside(40 * Second);
        Assert.Equal(1.0, clock.EndStep(40 * Second + (Second / 2), 41 * Second));
    }
}
