using Distributed;

// The job's two workers are this program started again: they run here and exit.
if (Training.RunIfWorker(args) is { } workerExit)
{
    return workerExit;
}

// A small convolutional network the built-in models do not offer: GELU, average pooling, dropout.
var network = new Network()
    .Conv2d(16, 3, padding: 1).GELU().AvgPool2d(2)
    .Conv2d(32, 3, padding: 1).GELU().MaxPool2d(2)
    .Flatten().Dropout(0.2).Linear(64).LeakyReLU(0.1).Linear(10);

var epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
Console.WriteLine($"network: {network}");
var report = Training.Train(network, new TrainingOptions { Epochs = epochs, Workers = 2, ExportOnnx = "mnist.onnx", Log = Console.Out });
Console.WriteLine($"{report.Parameters:N0} parameters, {report.Steps} steps, test accuracy {report.TestAccuracy * 100:F2}%, {report.SamplesPerSecond:N0} samples/s; ONNX model in mnist.onnx");
return 0;
