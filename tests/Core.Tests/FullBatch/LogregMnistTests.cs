using Distributed.Core.Compute.Cpu;
using Distributed.Core.FullBatch;
using Distributed.Core.Models;
using Distributed.Core.Tests.Training;
using Xunit.Abstractions;

namespace Distributed.Core.Tests.FullBatch;

/// <summary>
/// logreg on the bundled 8,000 MNIST training digits with λ = 1e-3 (the README's runs): strongly convex, so
/// ‖∇f‖²/(2λ) bounds how far f is above its optimum, a certificate that needs no reference optimum. Each method
/// must certify 1e-4, and the three must agree on the loss within 1e-4.
/// </summary>
public class LogregMnistTests(ITestOutputHelper output)
{
    private const double Lambda = 1e-3;
    private const double Gap = 1e-4;

    [Fact]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    public async Task NewtonLbfgsAndCgReachTheOptimum()
    {
        var train = TrainingHarness.Mnist(true);
        var losses = new Dictionary<string, double>();
        foreach (var (method, maxIterations) in new[] { ("newton", 15), ("lbfgs", 400), ("cg", 600) })
        {
            var model = ModelZoo.Create("logreg", train.SampleShape, train.Classes, new CpuBackend(2), new ModelOptions(1));
            var minimizer = new FullBatchSettings(method, new FullBatchOptions(), Lambda).Create(new ModelObjective(model, train), Parameters.Read(model));
            IterationReport report;
            do
            {
                report = await minimizer.StepAsync();
            }
            while (report.GradientNorm * report.GradientNorm / (2 * Lambda) > Gap / 10 && !report.Converged && minimizer.Iterations < maxIterations);

            var bound = report.GradientNorm * report.GradientNorm / (2 * Lambda);
            output.WriteLine($"{method}: loss {report.Loss:R}, ‖∇f‖ {report.GradientNorm:E2}, gap ≤ {bound:E2} after {minimizer.Iterations} iterations, {minimizer.Evaluations} evaluations, {minimizer.HessianProducts} Hessian products");
            Assert.True(bound <= Gap, $"{method}: f − f* ≤ {bound:E2}");
            losses[method] = report.Loss;
        }

        Assert.True(losses.Values.Max() - losses.Values.Min() <= Gap, string.Join(", ", losses));
    }
}
