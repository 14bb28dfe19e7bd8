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
/// request for the hang time (the slow subscriber of S6).
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Endpoint, string EventId), TimeSpan> _arrivals = new();
    private long _hung;

    private Receiver(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Requests the hanging endpoint has taken (each held for the hang time).</summary>
    public long Hung => Interlocked.Read(ref _hung);

    public static async Task<Receiver> StartAsync(Stopwatch clock, TimeSpan hangTime, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var baseUrl = "http://127.0.0.1:" + Http.FreePort().ToString(CultureInfo.InvariantCulture);
        builder.WebHost.UseUrls(baseUrl);
        var app = builder.Build();
        var receiver = new Receiver(app, baseUrl);
        app.MapPost("/hook/{name}", async (string name, HttpContext context) =>
        {
            var (id, _) = await ReadAsync(context);
            if (id is not null)
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
        await app.StartAsync(cancellationToken);
        return receiver;
    }

    /// <summary>Arrival times of the events whose id starts with <paramref name="prefix"/>, by endpoint.</summary>
    public List<(string Endpoint, string EventId, TimeSpan At)> Arrivals(string prefix) =>
        [.. _arrivals.Where(a => a.Key.EventId.StartsWith(prefix, StringComparison.Ordinal)).Select(a => (a.Key.Endpoint, a.Key.EventId, a.Value))];

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
