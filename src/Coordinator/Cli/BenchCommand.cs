using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Cli;

/// <summary>`bench allreduce`: ring all-reduce over real gRPC between N local worker processes, per message size.</summary>
internal static class BenchCommand
{
    public const string DefaultSizes = "1KB,4KB,16KB,64KB,256KB,1MB,4MB,16MB,64MB,100MB";

    public static string Config(string sizes, int chunkKb) => JobConfig.Format([("bench", "allreduce"), ("sizes", sizes), ("chunk-kb", chunkKb)]);

    public static Command Create(TextWriter output)
    {
        var bench = new Command("bench", "Throughput benchmarks that print figures.");
        var workers = new Option<int>("--workers") { Description = "worker processes in the ring", DefaultValueFactory = _ => 2 };
        var sizes = new Option<string>("--sizes") { Description = "comma-separated message sizes (1KB … 100MB)", DefaultValueFactory = _ => DefaultSizes };
        var chunkKb = new Option<int>("--chunk-kb") { Description = "ring chunk size in KB", DefaultValueFactory = _ => 256 };
        var json = new Option<string?>("--json") { Description = "write [{bytes, ms, bus_bandwidth_gbps}] to this file" };
        var allReduce = new Command("allreduce", "Time ring all-reduce per message size and report bus bandwidth, as the NCCL and MPI tests do.") { workers, sizes, chunkKb, json };
        allReduce.SetAction(async (r, cancel) =>
        {
            var n = r.GetValue(workers);
            if (n is < 1 or > 64)
            {
                throw new UsageException($"--workers must be between 1 and 64, got {n}");
            }

            var sizeText = r.GetValue(sizes)!;
            var parsed = ByteSizes.ParseList(sizeText);
            var chunk = r.GetValue(chunkKb);
            if (chunk is < 1 or > 4096)
            {
                throw new UsageException($"chunk size must be between 1 and 4096 KB, got {chunk}");
            }

            var jobId = $"bench-{Environment.ProcessId}";
            var coordinator = new JobCoordinator(new JobPlan { WorldSize = n, JobId = jobId, Config = Config(sizeText, chunk), IsBenchmark = true, PeerTimeout = TimeSpan.FromSeconds(60) });
            await using var host = await CoordinatorHost.StartAsync(coordinator, "127.0.0.1", 0, cancel);
            await using var launcher = new LocalLauncher(coordinator, output);
            for (var rank = 0; rank < n; rank++)
            {
                launcher.Start(rank, ["worker", "--bench-allreduce", sizeText, "--chunk-kb", chunk.ToString(CultureInfo.InvariantCulture), "--coordinator", $"127.0.0.1:{host.Port}",
                    "--rank", rank.ToString(CultureInfo.InvariantCulture), "--host", "127.0.0.1", "--port", "0", "--job-id", jobId, "--peer-timeout", "60", "--join-timeout", "60"]);
            }

            output.WriteLine($"ring all-reduce, {n} worker processes on 127.0.0.1 over gRPC, chunks of {chunk} KB");
            output.WriteLine($"{"size",10} {"ms",10} {"algbw GB/s",11} {"busbw GB/s",11} {"iters",6}");
            var driver = new BenchmarkDriver(coordinator, row =>
            {
                lock (output)
                {
                    var algorithm = row.Bytes / (row.Ms / 1000) / 1e9;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ByteSizes.Format(row.Bytes),10} {row.Ms,10:0.000} {algorithm,11:0.000} {row.BusBandwidthGbps,11:0.000} {row.Iterations,6}"));
                }
            });
            IReadOnlyList<AllReduceTiming> rows;
            try
            {
                rows = await driver.RunAsync(cancel);
                coordinator.End(null);
            }
            catch (JobFailedException ex)
            {
                coordinator.End(ex.Message);
                throw;
            }

            await launcher.WaitForExitAsync(TimeSpan.FromSeconds(10));
            if (r.GetValue(json) is { } path)
            {
                var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
                File.WriteAllText(path, JsonSerializer.Serialize(rows.Select(x => new { x.Bytes, x.Ms, x.BusBandwidthGbps }), options));
            }

            return CliApp.Ok;
        });
        bench.Add(allReduce);
        bench.Add(BenchTrainCommand.Create(output));
        bench.Add(BenchGemmCommand.Create(output));
        return bench;
    }
}
