using Distributed.Protocol;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>
/// What a worker says during a training job, with made-up numbers that a test can add up: its start and final
/// checksums, and its answer to each step (a test replaces one answer to break the protocol).
/// </summary>
internal sealed record TrainingScript
{
    public Func<int, ulong> StartChecksum { get; init; } = _ => 0xAA;

    public Func<int, ulong> FinalChecksum { get; init; } = _ => 0xC0FFEE;

    public Func<int, StepAssignment, WorkerMessage> Answer { get; init; } = StepDoneOf;

    /// <summary>Rank r's share of step s's loss, so the global loss of step s is the sum over ranks.</summary>
    public static double LossOf(int rank, long step) => (step + rank) / 100.0;

    /// <summary>Rank r gets r + 1 samples of each step right.</summary>
    public static int CorrectOf(int rank) => rank + 1;

    public static WorkerMessage StepDoneOf(int rank, StepAssignment step) => new()
    {
        StepDone = new StepDone { Step = step.Step, Loss = LossOf(rank, step.Step), Correct = CorrectOf(rank), Samples = step.Indices.Count },
    };

    /// <summary>Rank r's evaluation of its slice: a loss of 0.25 (r + 1) per sample, and r samples wrong.</summary>
    public static EvalDone EvalDoneOf(int rank, EvalRequest request) =>
        new() { Epoch = request.Epoch, LossSum = 0.25 * (rank + 1) * request.Count, Correct = request.Count - rank, Samples = request.Count };
}

/// <summary>
/// A worker that trains nothing but follows the training protocol over a <see cref="FakeWorker"/> session, and keeps
/// everything the coordinator sent it. It answers a batch of steps only once it also holds the next batch (except a
/// batch holding an epoch's last step), so a driver that does not keep two batches in flight leaves it waiting and
/// the test fails; answers that are all step reports go up as one batch, as a real worker sends them.
/// </summary>
internal static class ScriptedTrainingWorker
{
    public static async Task<List<CoordinatorMessage>> RunAsync(FakeWorker worker, int rank, int batchesPerEpoch, int trainSamples, int testSamples, TrainingScript script)
    {
        var received = new List<CoordinatorMessage>();
        var pending = new Queue<StepBatch>();
        worker.Send(new WorkerMessage { Ready = new Ready { ParameterChecksum = script.StartChecksum(rank), ParameterCount = 2, OptimizerStateBytes = 16, TrainSamples = trainSamples, TestSamples = testSamples } });
        while (true)
        {
            var message = await worker.ReceiveAsync();
            received.Add(message);
            switch (message.BodyCase)
            {
                case CoordinatorMessage.BodyOneofCase.Steps:
                    pending.Enqueue(message.Steps);
                    while (pending.Count >= 2 || (pending.Count == 1 && pending.Peek().Steps.Any(s => s.Step == (long)s.Epoch * batchesPerEpoch)))
                    {
                        var answers = pending.Dequeue().Steps.Select(s => script.Answer(rank, s)).ToArray();
                        if (answers.All(a => a.BodyCase == WorkerMessage.BodyOneofCase.StepDone))
                        {
                            worker.Send(new WorkerMessage { StepsDone = new StepDoneBatch { Steps = { answers.Select(a => a.StepDone) } } });
                        }
                        else
                        {
                            foreach (var answer in answers)
                            {
                                worker.Send(answer);
                            }
                        }
                    }

                    break;
                case CoordinatorMessage.BodyOneofCase.Eval:
                    worker.Send(new WorkerMessage { EvalDone = TrainingScript.EvalDoneOf(rank, message.Eval) });
                    break;
                case CoordinatorMessage.BodyOneofCase.Finish:
                    worker.Send(new WorkerMessage { Finished = new Finished { ParameterChecksum = script.FinalChecksum(rank), Parameters = { 1.5f, -2f } } });
                    worker.Close();
                    return received;
                case CoordinatorMessage.BodyOneofCase.Abort:
                    worker.Close();
                    return received;
            }
        }
    }
}
