namespace Distributed.Kubernetes.Tests;

/// <summary>A job that could not be created, or would create broken objects, is refused before rendering, naming the value.</summary>
public class ClusterJobTests
{
    [Theory]
    [InlineData("Upper")]
    [InlineData("9lives")]
    [InlineData("trailing-")]
    [InlineData("under_score")]
    [InlineData("")]
    [InlineData("a-name-that-is-far-too-long-for-a-pod-host-name")]
    public void BadNameIsRefused(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ClusterJob(name, 2, []));

        Assert.Contains($"'{name}'", ex.Message);
    }

    [Fact]
    public void LongestNameStillGivesDnsLabelsForEveryPod()
    {
        var job = new ClusterJob(new string('a', ClusterJob.MaxNameLength), 10_000, []);

        Assert.True($"{new JobNames(job.Name).Workers}-{job.Workers - 1}".Length <= 63);
        Assert.True($"{new JobNames(job.Name).Coordinator}-abcde".Length <= 63);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void WorkerCountOutOfRangeIsRefused(int workers)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterJob("job", workers, []));
    }

    [Theory]
    [InlineData("two", "2Gi", "'two'")]
    [InlineData("2", "lots", "'lots'")]
    [InlineData("0", "2Gi", "'0'")]
    public void BadQuantityIsRefused(string cpu, string memory, string named)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new Resources(cpu, memory));

        Assert.Contains(named, ex.Message);
    }

    [Theory]
    [InlineData("distributed:dev", "distributed:dev-cuda")]
    [InlineData("registry.example.com:5000/ml/distributed", "registry.example.com:5000/ml/distributed:latest-cuda")]
    [InlineData("registry.example.com:5000/ml/distributed:1.2", "registry.example.com:5000/ml/distributed:1.2-cuda")]
    public void CudaVariantIsTheSameTagWithCudaAppended(string image, string cuda)
    {
        Assert.Equal(cuda, ClusterJob.CudaVariant(image));
        Assert.Equal(cuda, new ClusterJob("job", 1, []) { Image = image, GpusPerWorker = 1 }.EffectiveWorkerImage);
        Assert.Equal(image, new ClusterJob("job", 1, []) { Image = image }.EffectiveWorkerImage);
    }

    [Fact]
    public void DigestImageNeedsTheGpuImageNamed()
    {
        var job = new ClusterJob("job", 1, []) { Image = "distributed@sha256:abc", GpusPerWorker = 1 };

        Assert.Throws<ArgumentException>(() => job.EffectiveWorkerImage);
    }

    [Theory]
    [InlineData("Bad_Namespace")]
    [InlineData("-x")]
    public void BadNamespaceIsRefused(string ns)
    {
        Assert.Throws<ArgumentException>(() => new ClusterJob("job", 1, []) { Namespace = ns });
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)]
    public void GpuCountOutOfRangeIsRefused(int gpus)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClusterJob("job", 1, []) { GpusPerWorker = gpus });
    }
}
