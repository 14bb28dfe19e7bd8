using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.Chaos;

/// <summary>One push the webhook received.</summary>
internal sealed record Push(string EventId, string? WebhookId, TimeSpan At);

/// <summary>
/// The loopback side of the check, inside this process (never killed): <c>/hook</c> is the webhook subscriber (answers
/// the validation event, records every other push with its <c>webhook-id</c> and time, answers 200), and <c>/pdp</c> is
/// a fake remote PDP that permits every request, or answers 503 while <see cref="PdpDown"/> is set.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private const string ValidationType = "platform.events.validatesubscription";

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly ConcurrentQueue<Push> _pushes = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _firstPush = new(StringComparer.Ordinal);
    private long _validations;
    private long _pdpCalls;
    private long _pdpRefused;

    private Receiver(WebApplication app, string baseUrl, TimeProvider time, long origin)
    {
        _app = app;
        BaseUrl = baseUrl;
        _time = time;
        _origin = origin;
    }

    public string BaseUrl { get; }

    public string HookUrl => BaseUrl + "/hook";

    public string PdpUrl => BaseUrl + "/pdp";

    /// <summary>While set, the fake PDP answers 503 to everything.</summary>
    public bool PdpDown { get; set; }

    public long Validations => Interlocked.Read(ref _validations);

    public long PdpCalls => Interlocked.Read(ref _pdpCalls);

    public long PdpRefused => Interlocked.Read(ref _pdpRefused);

    public IReadOnlyCollection<Push> Pushes => _pushes;

    /// <summary>When each event id was first pushed, on the run's clock.</summary>
    public IReadOnlyDictionary<string, TimeSpan> FirstPush => _firstPush;

    public static async Task<Receiver> StartAsync(TimeProvider time, long origin, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var baseUrl = "http://127.0.0.1:" + FreePort().ToString(CultureInfo.InvariantCulture);
        builder.WebHost.UseUrls(baseUrl);
        var app = builder.Build();
        var receiver = new Receiver(app, baseUrl, time, origin);
        app.MapPost("/hook", (Func<HttpContext, Task<IResult>>)receiver.HookAsync);
        app.MapPost("/pdp", (Func<HttpContext, Task<IResult>>)receiver.PdpAsync);
        await app.StartAsync(cancellationToken);
        return receiver;
    }

    private async Task<IResult> HookAsync(HttpContext context)
    {
        string? id = null, type = null;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                id = root.TryGetProperty("id", out var i) ? i.GetString() : null;
                type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            }
        }
        catch (JsonException)
        {
        }

        if (type == ValidationType)
        {
            Interlocked.Increment(ref _validations);
        }
        else if (id is not null)
        {
            var at = _time.GetElapsedTime(_origin);
            _pushes.Enqueue(new Push(id, context.Request.Headers["webhook-id"].FirstOrDefault(), at));
            _firstPush.TryAdd(id, at);
        }

        return Results.Ok();
    }

    /// <summary>Answers a XACML JSON multi-request with one Permit per request reference, in order.</summary>
    private async Task<IResult> PdpAsync(HttpContext context)
    {
        Interlocked.Increment(ref _pdpCalls);
        if (PdpDown)
        {
            Interlocked.Increment(ref _pdpRefused);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        var count = 1;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (Find(document.RootElement, "Request") is { } request && Find(request, "MultiRequests") is { } multi
                && Find(multi, "RequestReference") is { ValueKind: JsonValueKind.Array } references)
            {
                count = references.GetArrayLength();
            }
        }
        catch (JsonException)
        {
            return Results.BadRequest();
        }

        var results = Enumerable.Range(0, count).Select(_ => new Dictionary<string, string>(StringComparer.Ordinal) { ["Decision"] = "Permit" });
        return Results.Json(new { Response = results });
    }

    private static JsonElement? Find(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    /// <summary>A free loopback port: bind to port 0 and ask which one the kernel gave.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
