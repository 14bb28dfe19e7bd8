using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.Benchmarks;

/// <summary>
/// The webhook receiver on loopback, inside the benchmark process: records when each (endpoint, event id) first arrived.
/// <c>/hook/{name}</c> answers 200 at once; <c>/hang/{name}</c> answers validation events at once and holds every other
/// request for the hang time (the slow subscriber of S6); <c>/dead/{name}</c> answers validation events and then 503 to
/// everything (the dead subscriber of S7). It listens on several ports, so each subscriber can have a host (scheme, host
/// and port: the outbound stage's concurrency key) of its own, as real subscribers do.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Endpoint, string EventId), TimeSpan> _arrivals = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _validations = new(StringComparer.Ordinal);
    private long _hung;
    private long _dead;

    private Receiver(WebApplication app, IReadOnlyList<string> baseUrls)
    {
        _app = app;
        BaseUrls = baseUrls;
    }

    /// <summary><c>http://127.0.0.1:{port}</c>, one per port the receiver listens on.</summary>
    public IReadOnlyList<string> BaseUrls { get; }

    /// <summary>Requests the hanging endpoints have taken (each held for the hang time).</summary>
    public long Hung => Interlocked.Read(ref _hung);

    /// <summary>Requests the dead endpoints have answered with 503 (validation events excepted).</summary>
    public long Dead => Interlocked.Read(ref _dead);

    public static async Task<Receiver> StartAsync(Stopwatch clock, TimeSpan hangTime, int ports, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var baseUrls = new List<string>();
        while (baseUrls.Count < ports)
        {
            var url = "http://127.0.0.1:" + Http.FreePort().ToString(CultureInfo.InvariantCulture);
            if (!baseUrls.Contains(url))
            {
                baseUrls.Add(url);
            }
        }

        builder.WebHost.UseUrls([.. baseUrls]);
        var app = builder.Build();
        var receiver = new Receiver(app, baseUrls);
        app.MapPost("/hook/{name}", async (string name, HttpContext context) =>
        {
            var (id, type) = await ReadAsync(context);
            if (type == "platform.events.validatesubscription")
            {
                receiver._validations.TryAdd(name, clock.Elapsed);
            }
            else if (id is not null)
            {
                receiver._arrivals.TryAdd(("hook/" + name, id), clock.Elapsed);
            }

            return Results.Ok();
        });
        app.MapPost("/hang/{name}", async (string name, HttpContext context) =>
        {
            var (id, type) = await ReadAsync(context);
            if (type != "platform.events.validatesubscription")
            {
                Interlocked.Increment(ref receiver._hung);
                await Task.Delay(hangTime, context.RequestAborted);
                if (id is not null)
                {
                    receiver._arrivals.TryAdd(("hang/" + name, id), clock.Elapsed);
                }
            }

            return Results.Ok();
        });
        app.MapPost("/dead/{name}", async (HttpContext context) =>
        {
            var (_, type) = await ReadAsync(context);
            if (type == "platform.events.validatesubscription")
            {
                return Results.Ok();
            }

            Interlocked.Increment(ref receiver._dead);
            return Results.StatusCode(503);
        });
        await app.StartAsync(cancellationToken);
        return receiver;
    }

    /// <summary>Arrival times of the events whose id starts with <paramref name="prefix"/>, by endpoint.</summary>
    public List<(string Endpoint, string EventId, TimeSpan At)> Arrivals(string prefix) =>
        [.. _arrivals.Where(a => a.Key.EventId.StartsWith(prefix, StringComparison.Ordinal)).Select(a => (a.Key.Endpoint, a.Key.EventId, a.Value))];

    /// <summary>When the validation request for <c>/hook/{name}</c> first arrived, if it did.</summary>
    public TimeSpan? ValidatedAt(string name) => _validations.TryGetValue(name, out var at) ? at : null;

    public int Count(string prefix, string endpointPrefix = "hook/") =>
        _arrivals.Keys.Count(k => k.EventId.StartsWith(prefix, StringComparison.Ordinal) && k.Endpoint.StartsWith(endpointPrefix, StringComparison.Ordinal));

    private static async Task<(string? Id, string? Type)> ReadAsync(HttpContext context)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var root = document.RootElement;
            return (root.TryGetProperty("id", out var id) ? id.GetString() : null, root.TryGetProperty("type", out var type) ? type.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
