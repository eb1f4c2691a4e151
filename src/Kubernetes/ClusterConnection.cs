using k8s;
using k8s.Exceptions;

namespace Distributed.Kubernetes;

/// <summary>A client for the cluster and the namespace to work in, found the way kubectl finds them.</summary>
public sealed class ClusterConnection : IDisposable
{
    private ClusterConnection(IKubernetes client, string @namespace, string server)
    {
        Client = client;
        Namespace = @namespace;
        Server = server;
    }

    public IKubernetes Client { get; }

    /// <summary>The namespace asked for, else the kubeconfig context's, else "default".</summary>
    public string Namespace { get; }

    public string Server { get; }

    /// <summary>
    /// From --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the pod's service account (in-cluster),
    /// with --context choosing a kubeconfig context other than the current one.
    /// </summary>
    public static ClusterConnection Open(string? kubeconfig, string? context, string? @namespace)
    {
        KubernetesClientConfiguration config;
        try
        {
            config = kubeconfig is null && context is null
                ? KubernetesClientConfiguration.BuildDefaultConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig ?? DefaultKubeconfig(), context);
        }
        catch (Exception ex) when (ex is KubeConfigException or IOException or FormatException)
        {
            throw new ClusterException($"no usable cluster configuration ({ex.Message.Split('\n')[0].Trim()}); pass --kubeconfig FILE or run inside a cluster", ex);
        }

        return new ClusterConnection(new k8s.Kubernetes(config), @namespace ?? config.Namespace ?? "default", config.Host);
    }

    private static string DefaultKubeconfig()
    {
        var variable = Environment.GetEnvironmentVariable("KUBECONFIG");
        return string.IsNullOrWhiteSpace(variable)
            ? KubernetesClientConfiguration.KubeConfigDefaultLocation
            : variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0];
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>The cluster could not be reached or refused a request; the message is one line saying which and why.</summary>
public sealed class ClusterException(string message, Exception? inner = null) : Exception(message, inner);
