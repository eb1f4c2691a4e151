using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Distributed.Kubernetes.Tests;

/// <summary>
/// A stand-in for the Kubernetes API server (a real one needs etcd and a container runtime, which CI does not
/// have): namespaced create, read, list by label, merge-patch and delete of any resource over HTTP, with the API's
/// Status errors (404 NotFound, 409 AlreadyExists) and pod logs. It records every request, so tests can check
/// what the real client sent, and a test can make any request fail. Used through a kubeconfig file, exactly as a
/// cluster is.
/// </summary>
internal sealed class RecordingApiServer : IAsyncDisposable
{
    public const string Token = "test-token";

    private readonly WebApplication _app;
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _collections = [];
    private readonly List<ApiRequest> _requests = [];
    private readonly TempDirectory _dir;

    private RecordingApiServer(WebApplication app, TempDirectory dir, string kubeconfig)
    {
        _app = app;
        _dir = dir;
        Kubeconfig = kubeconfig;
    }

    /// <summary>A kubeconfig file whose current context points here, in namespace "ml", with a bearer token.</summary>
    public string Kubeconfig { get; }

    /// <summary>Pod logs by "namespace/pod".</summary>
    public Dictionary<string, string> Logs { get; } = [];

    /// <summary>Answers a request with this error (status code, reason, message) instead of serving it, when it returns one.</summary>
    public Func<ApiRequest, (int Code, string Reason, string Message)?> Fail { get; set; } = _ => null;

    public IReadOnlyList<ApiRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<RecordingApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var dir = new TempDirectory();
        var kubeconfig = dir.File("kubeconfig");
        RecordingApiServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Urls.Single();
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {address}
            contexts:
            - name: test
              context:
                cluster: test
                user: test
                namespace: ml
            current-context: test
            users:
            - name: test
              user:
                token: {Token}
            """);
        server = new RecordingApiServer(app, dir, kubeconfig);
        return server;
    }

    /// <summary>Stores an object as if it had been created, under /api/v1 or /apis/GROUP/VERSION by its apiVersion.</summary>
    public void Put(string @namespace, string resource, JsonObject obj)
    {
        var apiVersion = (string)obj["apiVersion"]!;
        var prefix = apiVersion.Contains('/', StringComparison.Ordinal) ? $"/apis/{apiVersion}" : $"/api/{apiVersion}";
        lock (_collections)
        {
            Collection($"{prefix}/namespaces/{@namespace}/{resource}")[(string)obj["metadata"]!["name"]!] = obj;
        }
    }

    /// <summary>The stored object at an API path such as /api/v1/namespaces/ml/configmaps/x, or null.</summary>
    public JsonObject? Get(string path)
    {
        var cut = path.LastIndexOf('/');
        lock (_collections)
        {
            return _collections.TryGetValue(path[..cut], out var items) && items.TryGetValue(path[(cut + 1)..], out var obj) ? obj : null;
        }
    }

    public int Count
    {
        get
        {
            lock (_collections)
            {
                return _collections.Values.Sum(c => c.Count);
            }
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var request = new ApiRequest(context.Request.Method, context.Request.Path.Value!, context.Request.QueryString.Value ?? "", body,
            context.Request.Headers.Authorization.ToString(), context.Request.ContentType ?? "");
        lock (_requests)
        {
            _requests.Add(request);
        }

        if (Fail(request) is { } failure)
        {
            await Status(context, failure.Code, failure.Reason, failure.Message);
            return;
        }

        // /api/v1/namespaces/NS/RESOURCE[/NAME[/log]] or /apis/GROUP/VERSION/namespaces/NS/RESOURCE[/NAME]
        var parts = request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var ns = Array.IndexOf(parts, "namespaces");
        if (ns < 0 || parts.Length < ns + 3)
        {
            await Status(context, 404, "NotFound", $"the server could not find the requested resource ({request.Path})");
            return;
        }

        var collectionPath = "/" + string.Join('/', parts[..(ns + 3)]);
        var resource = parts[ns + 2];
        var name = parts.Length > ns + 3 ? parts[ns + 3] : null;
        var sub = parts.Length > ns + 4 ? parts[ns + 4] : null;
        JsonObject? result;
        lock (_collections)
        {
            var items = Collection(collectionPath);
            switch (request.Method, name, sub)
            {
                case ("GET", not null, "log"):
                    result = null;
                    break;
                case ("POST", null, _):
                    var created = JsonNode.Parse(body)!.AsObject();
                    var newName = (string)created["metadata"]!["name"]!;
                    if (items.ContainsKey(newName))
                    {
                        result = StatusObject(409, "AlreadyExists", $"{resource} \"{newName}\" already exists");
                        break;
                    }

                    created["metadata"]!["uid"] = Guid.NewGuid().ToString();
                    created["metadata"]!["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
                    items[newName] = created;
                    result = created;
                    break;
                case ("GET", null, _):
                    var selector = context.Request.Query["labelSelector"].ToString();
                    result = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["metadata"] = new JsonObject(), ["items"] = new JsonArray([.. items.Values.Where(o => Matches(o, selector)).Select(o => o.DeepClone())]) };
                    break;
                case ("GET", not null, _):
                    result = items.TryGetValue(name, out var found) ? found : StatusObject(404, "NotFound", $"{resource} \"{name}\" not found");
                    break;
                case ("PATCH", not null, _):
                    result = items.TryGetValue(name, out var target) ? MergePatch(target, JsonNode.Parse(body)!.AsObject()) : StatusObject(404, "NotFound", $"{resource} \"{name}\" not found");
                    break;
                case ("DELETE", not null, _):
                    // As the API's OpenAPI spec says: a deleted Service or Pod comes back as itself, other kinds as a Status.
                    result = !items.Remove(name, out var removed) ? StatusObject(404, "NotFound", $"{resource} \"{name}\" not found")
                        : resource is "services" or "pods" ? removed : StatusObject(200, "", "");
                    break;
                default:
                    result = StatusObject(405, "MethodNotAllowed", $"{request.Method} {request.Path}");
                    break;
            }
        }

        if (sub == "log")
        {
            if (Logs.TryGetValue($"{parts[ns + 1]}/{name}", out var log))
            {
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(log);
            }
            else
            {
                await Status(context, 404, "NotFound", $"pods \"{name}\" not found");
            }

            return;
        }

        ArgumentNullException.ThrowIfNull(result);
        context.Response.StatusCode = result["kind"]?.GetValue<string>() == "Status" ? (int)result["code"]! : request.Method == "POST" ? 201 : 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(result.ToJsonString());
    }

    private Dictionary<string, JsonObject> Collection(string path)
    {
        if (!_collections.TryGetValue(path, out var items))
        {
            _collections[path] = items = [];
        }

        return items;
    }

    private static bool Matches(JsonObject obj, string selector) =>
        selector.Split(',', StringSplitOptions.RemoveEmptyEntries).All(term =>
        {
            var (key, value) = (term.Split('=')[0], term.Split('=')[1]);
            return obj["metadata"]?["labels"]?[key]?.GetValue<string>() == value;
        });

    /// <summary>RFC 7386 JSON merge patch, as the API server applies application/merge-patch+json.</summary>
    private static JsonObject MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
            {
                MergePatch(targetObject, patchObject);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }

        return target;
    }

    private static JsonObject StatusObject(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = code < 300 ? "Success" : "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    private static async Task Status(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(StatusObject(code, reason, message).ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>One request as the server received it.</summary>
internal sealed record ApiRequest(string Method, string Path, string Query, string Body, string Authorization, string ContentType)
{
    public override string ToString() => $"{Method} {Path}";
}
