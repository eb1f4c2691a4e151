using System.Text.Json;
using k8s;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Distributed.Kubernetes.Tests;

/// <summary>
/// Manifests as untyped trees, to check that loading them into the typed Kubernetes models loses nothing: a field
/// the models do not know (a typo such as `restartPolcy`) or a value they cannot hold makes the trees differ.
/// </summary>
internal static class YamlTrees
{
    /// <summary>Each document of <paramref name="yaml"/> as canonical JSON: keys sorted, every scalar a string.</summary>
    public static IReadOnlyList<string> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<string>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Canonical(deserializer.Deserialize(parser)));
        }

        return documents;
    }

    /// <summary>The typed objects of <paramref name="yaml"/>, after asserting that they serialize back to the same trees.</summary>
    public static IReadOnlyList<object> AssertLossless(string yaml)
    {
        var typed = KubernetesYaml.LoadAllFromString(yaml, strict: true);
        var original = Documents(yaml);
        var roundTripped = typed.Select(o => Documents(KubernetesYaml.Serialize(o)).Single()).ToList();
        Assert.Equal(original.Count, roundTripped.Count);
        for (var i = 0; i < original.Count; i++)
        {
            Assert.Equal(original[i], roundTripped[i]);
        }

        return typed;
    }

    /// <summary>Asserts that two sets of typed objects serialize to the same trees, matching them by kind and name.</summary>
    public static void AssertSameObjects(IEnumerable<object> expected, IEnumerable<object> actual)
    {
        var want = ByName(expected);
        var got = ByName(actual);
        Assert.Equal(want.Keys, got.Keys);
        foreach (var (key, tree) in want)
        {
            Assert.True(tree == got[key], $"{key} differs:\nexpected {tree}\nactual   {got[key]}");
        }
    }

    private static SortedDictionary<string, string> ByName(IEnumerable<object> objects) =>
        new(objects.Cast<IKubernetesObject<k8s.Models.V1ObjectMeta>>()
            .ToDictionary(o => $"{o.Kind}/{o.Metadata.Name}", o => Documents(KubernetesYaml.Serialize(o)).Single()), StringComparer.Ordinal);

    private static string Canonical(object? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, object? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case IDictionary<object, object?> map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Select(e => (Key: Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture)!, e.Value)).OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(node, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
