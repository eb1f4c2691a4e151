using k8s.Models;

namespace Distributed.Kubernetes.Tests;

/// <summary>A job's phase from its two Jobs' conditions: the coordinator's decides.</summary>
public class JobStateTests
{
    [Fact]
    public void ACompletedCoordinatorSucceedsEvenWhenAWorkerIndexLeftBehindFailedTheWorkersJob()
    {
        // --min-workers 2 of 3: index 1 never rejoined and used up its back-off; the run finished on ranks 0 and 2.
        var state = new JobState("mnist", "ml", Job(Condition("Complete")), Job(Condition("Failed")), []);

        Assert.Equal("Succeeded", state.Phase);
    }

    [Fact]
    public void AFailedWorkersJobFailsARunningCoordinator()
    {
        var state = new JobState("mnist", "ml", Job(), Job(Condition("Failed")), []);

        Assert.Equal("Failed", state.Phase);
    }

    private static V1Job Job(params V1JobCondition[] conditions) => new() { Status = new V1JobStatus { Conditions = conditions } };

    private static V1JobCondition Condition(string type) => new() { Type = type, Status = "True" };
}
