using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;

namespace Distributed.Coordinator.Cli;

/// <summary>`bench`, and `bench allreduce`: ring all-reduce over real gRPC between N local worker processes, per message size.</summary>
internal static class BenchCommand
{
    public const string DefaultSizes = "1KB,4KB,16KB,64KB,256KB,1MB,4MB,16MB,64MB,100MB";

    /// <summary>A benchmark's peers get a minute of silence: a 100 MB all-reduce on a loaded machine is slow, not dead.</summary>
    private const int PeerTimeoutSeconds = 60;

    public static string Config(string sizes, int chunkKb) => JobConfig.Format([("bench", "allreduce"), ("sizes", sizes), ("chunk-kb", chunkKb)]);

    public static Command Create(TextWriter output)
    {
        var bench = new Command("bench", "Throughput benchmarks that print figures.");
        var workers = new Option<int>("--workers") { Description = "worker processes in the ring", DefaultValueFactory = _ => 2 };
        var sizes = new Option<string>("--sizes") { Description = "comma-separated message sizes (1KB … 100MB)", DefaultValueFactory = _ => DefaultSizes };
        var chunkKb = new Option<int>("--chunk-kb") { Description = "ring chunk size in KB", DefaultValueFactory = _ => new TrainSettings().ChunkKb };
        var transport = new Option<string>("--transport") { Description = "auto | shm | grpc: how the ring's links travel (auto: shared memory on one host)", DefaultValueFactory = _ => new TrainSettings().Transport };
        var tls = new Option<bool>("--tls") { Description = "the ring and the sessions over mutual TLS, as `submit` runs them (certificates made in memory)" };
        var json = new Option<string?>("--json") { Description = "write [{bytes, ms, bus_bandwidth_gbps}] to this file, and beside it (.svg) bus bandwidth against message size" };
        var placement = new DistributedOptionsSet();
        var allReduce = new Command("allreduce", "Time ring all-reduce per message size and report bus bandwidth, as the NCCL and MPI tests do.") { workers, sizes, chunkKb, transport, tls, placement.CpuBind, json };
        allReduce.SetAction(async (r, cancel) =>
        {
            var n = Limits.LocalWorkers(r.GetValue(workers));
            var sizeText = r.GetValue(sizes)!;
            ByteSizes.ParseList(sizeText);
            var chunk = r.GetValue(chunkKb);
            Limits.ChunkFloats(chunk);
            var links = r.GetValue(transport)!;
            Limits.Transport(links);
            var timeout = TimeSpan.FromSeconds(PeerTimeoutSeconds);
            var jobId = $"bench-{Environment.ProcessId}";
            var secured = r.GetValue(tls);
            var plan = new JobPlan { WorldSize = n, JobId = jobId, Config = Config(sizeText, chunk), PeerTimeout = timeout, JoinTimeout = timeout, Tls = secured ? Worker.Security.JobTls.Create(jobId) : null };
            string[] workload =
            [
                "--bench-allreduce", sizeText, "--chunk-kb", Invariant(chunk), "--peer-timeout", Invariant(PeerTimeoutSeconds), "--join-timeout", Invariant(PeerTimeoutSeconds),
                "--transport", links,
            ];

            output.WriteLine($"ring all-reduce, {n} worker processes on 127.0.0.1, --transport {links}{(secured ? " --tls" : "")}, chunks of {chunk} KB");
            var cpus = CpuPlacement.Local(placement.CpuBindMode(r), n, 1);
            output.WriteLine($"workers {cpus.Description}");
            output.WriteLine($"{"size",10} {"ms",10} {"algbw GB/s",11} {"busbw GB/s",11} {"iters",6}");
            var rows = await JobRunner.RunAsync(new JobCoordinator(plan), "127.0.0.1", 0, new LocalWorkers(n, workload, cpus), output, (job, token) => new BenchmarkDriver(job, row =>
            {
                lock (output)
                {
                    var algorithm = row.Bytes / (row.Ms / 1000) / 1e9;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ByteSizes.Format(row.Bytes),10} {row.Ms,10:0.000} {algorithm,11:0.000} {row.BusBandwidthGbps,11:0.000} {row.Iterations,6}"));
                }
            }).RunAsync(token), cancel);

            if (r.GetValue(json) is { } path)
            {
                JsonFiles.Write(path, rows.Select(x => new { x.Bytes, x.Ms, x.BusBandwidthGbps }));
                var plot = Path.ChangeExtension(path, ".svg");
                Plots.WriteBusBandwidth(plot, rows.Select(x => (n, x.Bytes, x.BusBandwidthGbps)), $"ring all-reduce (--transport {links}), {n} worker processes, chunks of {chunk} KB");
                output.WriteLine($"plot: {plot} (bus bandwidth against message size)");
            }

            return CliApp.Ok;
        });
        bench.Add(allReduce);
        bench.Add(BenchTrainCommand.Create(output));
        bench.Add(BenchGemmCommand.Create(output));
        return bench;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
