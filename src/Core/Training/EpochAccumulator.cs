using System.Diagnostics;

namespace Distributed.Core.Training;

/// <summary>
/// The sums a training run keeps, kept once for a single process (<see cref="Trainer"/>) and for the coordinator of
/// a distributed run: per step the mean loss weighted by its batch, the correct predictions and the samples; per
/// epoch the wall time of its steps (evaluation is not training time). From them the <see cref="EpochMetrics"/> of
/// each epoch and the run's <see cref="TrainingResult"/>.
/// </summary>
public sealed class EpochAccumulator
{
    private readonly int _trainSamples;
    private readonly bool _classifier;
    private readonly List<EpochMetrics> _epochs = [];
    private readonly Stopwatch _epochClock = new();
    private double _trainSeconds;
    private int _epoch;
    private double _lossSum;
    private long _correct;
    private long _samples;
    private long _steps;

    /// <param name="trainSamples">Samples in the training set, one epoch's worth.</param>
    /// <param name="classifier">Whether correct predictions mean anything (accuracy is null otherwise).</param>
    public EpochAccumulator(int trainSamples, bool classifier)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainSamples);
        _trainSamples = trainSamples;
        _classifier = classifier;
    }

    /// <summary>Starts epoch <paramref name="epoch"/>'s sums (from a checkpoint's, when resuming within it) and its clock.</summary>
    public void BeginEpoch(int epoch, double lossSum = 0, long correct = 0)
    {
        _epoch = epoch;
        _lossSum = lossSum;
        _correct = correct;
        _epochClock.Restart();
    }

    /// <summary>The running epoch's sums so far, for a checkpoint.</summary>
    public (double LossSum, long Correct) EpochSums => (_lossSum, _correct);

    /// <summary>One step: the mean loss over its <paramref name="batch"/> samples, and how many it predicted right.</summary>
    public void AddStep(double loss, int batch, long correct)
    {
        _lossSum += loss * batch;
        _correct += correct;
        _samples += batch;
        _steps++;
    }

    /// <summary>The epoch's steps are done: stops its clock before any evaluation.</summary>
    public void EndSteps() => _epochClock.Stop();

    /// <summary>The finished epoch's metrics, with the held-out figures when there was an evaluation.</summary>
    public EpochMetrics EndEpoch(double? testLoss, double? testAccuracy)
    {
        _epochClock.Stop();
        var seconds = _epochClock.Elapsed.TotalSeconds;
        _trainSeconds += seconds;
        var metrics = new EpochMetrics(
            _epoch,
            _lossSum / _trainSamples,
            _classifier ? (double)_correct / _trainSamples : null,
            testLoss,
            testAccuracy,
            _trainSamples / seconds,
            seconds);
        _epochs.Add(metrics);
        return metrics;
    }

    /// <summary>The whole run: every epoch, the last one's loss and accuracy, and throughput over all training time.</summary>
    public TrainingResult Result()
    {
        if (_epochs.Count == 0)
        {
            throw new InvalidOperationException("no epoch has ended");
        }

        var last = _epochs[^1];
        return new TrainingResult([.. _epochs], last.TrainLoss, last.TestAccuracy, _samples / _trainSeconds, _trainSeconds, _steps);
    }
}
