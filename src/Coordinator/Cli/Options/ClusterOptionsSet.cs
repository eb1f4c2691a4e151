using System.CommandLine;
using Distributed.Kubernetes;

namespace Distributed.Coordinator.Cli;

/// <summary>Where the cluster commands (`submit`, `status`, `logs`, `delete`) find the cluster, as kubectl does.</summary>
internal sealed class ClusterOptionsSet
{
    public Option<string?> Namespace { get; } = new("--namespace", "-n") { Description = "namespace (default: the kubeconfig context's, else 'default')" };

    public Option<string?> Kubeconfig { get; } = new("--kubeconfig") { Description = "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster)" };

    public Option<string?> Context { get; } = new("--context") { Description = "kubeconfig context (default: the current one)" };

    public IEnumerable<Option> All => [Namespace, Kubeconfig, Context];

    public ClusterConnection Open(ParseResult r) => ClusterConnection.Open(r.GetValue(Kubeconfig), r.GetValue(Context), r.GetValue(Namespace));
}
