using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Tests.Jobs;

public class AssignmentWindowTests
{
    [Fact]
    public void BeforeAnyStepIsTimedAWindowHoldsTheMinimum()
    {
        Assert.Equal(AssignmentWindow.Min, new AssignmentWindow().Next());
    }

    [Theory]
    [InlineData(0.002, 25)]
    [InlineData(0.0015, 33)]
    [InlineData(0.010, 8)]
    [InlineData(0.5, 8)]
    [InlineData(0.0001, 64)]
    [InlineData(0.0, 64)]
    public void AWindowHoldsAsManyStepsAsFitTheTargetWithinTheBounds(double stepSeconds, int expected)
    {
        var windows = new AssignmentWindow(TimeSpan.FromMilliseconds(50));
        windows.Observe(stepSeconds);

        Assert.Equal(expected, windows.Next());
    }

    [Fact]
    public void TheStepTimeFollowsRecentStepsAndIgnoresNonsense()
    {
        var windows = new AssignmentWindow(TimeSpan.FromMilliseconds(50));
        windows.Observe(0.050);
        windows.Observe(double.NaN);
        windows.Observe(-1);
        windows.Observe(double.PositiveInfinity);
        Assert.Equal(AssignmentWindow.Min, windows.Next());

        // Steps that became 25 times faster: after a few windows' worth of them the window is full size.
        for (var i = 0; i < 64; i++)
        {
            windows.Observe(0.0005);
        }

        Assert.Equal(AssignmentWindow.Max, windows.Next());
    }
}
