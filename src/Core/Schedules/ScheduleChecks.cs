namespace Distributed.Core.Schedules;

internal static class ScheduleChecks
{
    public static void Factor(double gamma, string name)
    {
        if (!(gamma > 0 && gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(name, gamma, $"decay factor {name} must be in (0, 1], got {gamma}");
        }
    }
}
