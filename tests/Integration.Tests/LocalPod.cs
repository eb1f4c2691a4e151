using k8s.Models;

namespace Distributed.Integration.Tests;

/// <summary>
/// One pod of a rendered job turned into a local process, the way the kubelet would start it, with only what a
/// machine without a cluster must change: Service host names become 127.0.0.1, each container port a free local
/// port, the pod IP 127.0.0.1, and mounted ConfigMaps and Secrets files in a temporary directory. Every variable name and
/// every value comes from the manifests; a value source this class does not know fails the test.
/// </summary>
internal sealed class LocalPod
{
    private readonly IReadOnlyList<object> _objects;
    private readonly V1Container _container;
    private readonly Func<int, int> _servicePort;
    private readonly Dictionary<string, string> _mounts = [];

    /// <param name="servicePort">the local port behind a Service's container port (another pod's).</param>
    /// <param name="secrets">what each Secret the pod mounts holds, by name and key (`submit` makes them; a dry run shows none).</param>
    public LocalPod(IReadOnlyList<object> objects, V1Job job, int? completionIndex, string scratch, Func<int, int> servicePort, IReadOnlyDictionary<string, Dictionary<string, string>>? secrets = null)
    {
        _objects = objects;
        _servicePort = servicePort;
        var pod = job.Spec.Template.Spec;
        // Service links would add <SERVICE>_PORT variables the manifests do not list.
        Assert.False(pod.EnableServiceLinks ?? true, $"{job.Name()}: enableServiceLinks must be false, or the pod's environment is more than its env list");
        _container = Assert.Single(pod.Containers);
        // The image's entry point (`dotnet Distributed.Coordinator.dll`) is what ProgramRun runs.
        Assert.Null(_container.Command);
        Assert.Null(_container.EnvFrom);
        Ports = _container.Ports.ToDictionary(p => p.ContainerPort, _ => ProgramRun.FreePort());
        CompletionIndex = completionIndex;
        Assert.Equal(completionIndex is not null, job.Spec.CompletionMode == "Indexed");

        foreach (var mount in _container.VolumeMounts)
        {
            var volume = Assert.Single(pod.Volumes, v => v.Name == mount.Name);
            var directory = Path.Combine(scratch, $"{job.Name()}-{completionIndex}-{mount.Name}");
            Directory.CreateDirectory(directory);
            if (volume.ConfigMap is { } source)
            {
                var config = ConfigMap(source.Name);
                foreach (var item in source.Items)
                {
                    Assert.True(config.Data.TryGetValue(item.Key, out var content), $"ConfigMap {source.Name} has no key {item.Key}");
                    File.WriteAllText(Path.Combine(directory, item.Path), content);
                }
            }
            else if (volume.Secret is { } secret)
            {
                Assert.True(secrets?.ContainsKey(secret.SecretName) == true, $"no content given for Secret {secret.SecretName}");
                // Without items, every key of the Secret is a file of that name.
                var files = secrets![secret.SecretName];
                foreach (var (key, path) in secret.Items?.Select(i => (i.Key, i.Path)) ?? files.Keys.Select(k => (k, k)))
                {
                    Assert.True(files.TryGetValue(key, out var content), $"Secret {secret.SecretName} has no key {key}");
                    File.WriteAllText(Path.Combine(directory, path), content);
                }
            }
            else
            {
                Assert.NotNull(volume.EmptyDir);
            }

            _mounts[mount.MountPath] = directory;
        }

        Environment = _container.Env.ToDictionary(e => e.Name, Resolve);
        Arguments = _container.Args.Select(Localize).ToList();
    }

    /// <summary>Container port → the free local port standing in for it.</summary>
    public Dictionary<int, int> Ports { get; }

    public int? CompletionIndex { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public IReadOnlyList<string> Arguments { get; }

    public V1Container Container => _container;

    private V1ConfigMap ConfigMap(string name) =>
        Assert.Single(_objects.OfType<V1ConfigMap>(), c => c.Name() == name);

    private string Resolve(V1EnvVar variable)
    {
        if (variable.ValueFrom is null)
        {
            return Localize(variable.Value);
        }

        if (variable.ValueFrom.ConfigMapKeyRef is { } key)
        {
            Assert.True(ConfigMap(key.Name).Data.TryGetValue(key.Key, out var value), $"{variable.Name}: ConfigMap {key.Name} has no key {key.Key}");
            return Localize(value);
        }

        return variable.ValueFrom.FieldRef?.FieldPath switch
        {
            "status.podIP" => "127.0.0.1",
            "metadata.annotations['batch.kubernetes.io/job-completion-index']" when CompletionIndex is { } index => $"{index}",
            var other => throw new Xunit.Sdk.XunitException($"{variable.Name}: no local stand-in for the value source {other ?? "(none)"}"),
        };
    }

    /// <summary>A value or argument as it applies on this machine.</summary>
    private string Localize(string value)
    {
        Assert.DoesNotContain("$(", value, StringComparison.Ordinal);
        if (int.TryParse(value, out var port) && Ports.TryGetValue(port, out var local))
        {
            return $"{local}";
        }

        // host:port of a Service: 127.0.0.1 and the local port of the container port its target port names.
        var colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value[(colon + 1)..], out var servicePort))
        {
            var service = Assert.Single(_objects.OfType<V1Service>(), s => s.Name() == value[..colon]);
            var target = Assert.Single(service.Spec.Ports, p => p.Port == servicePort).TargetPort.Value;
            var pods = Assert.Single(_objects.OfType<V1Job>(), j => service.Spec.Selector.All(s => j.Spec.Template.Metadata.Labels.TryGetValue(s.Key, out var v) && v == s.Value));
            var containerPort = Assert.Single(pods.Spec.Template.Spec.Containers[0].Ports, p => p.Name == target || $"{p.ContainerPort}" == target).ContainerPort;
            return $"127.0.0.1:{_servicePort(containerPort)}";
        }

        foreach (var (mountPath, directory) in _mounts)
        {
            if (value == mountPath)
            {
                return directory;
            }

            foreach (var prefix in new[] { mountPath + "/", "@" + mountPath + "/" })
            {
                if (value.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return prefix[..^(mountPath.Length + 1)] + directory + "/" + value[prefix.Length..];
                }
            }
        }

        return value;
    }
}
