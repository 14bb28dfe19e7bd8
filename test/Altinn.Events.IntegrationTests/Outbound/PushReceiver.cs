using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>How the receiver answers the n-th request (0-based) to one path.</summary>
public sealed record Reply(int Status, string? RetryAfter = null, TimeSpan Delay = default)
{
    public static Reply Ok { get; } = new(200);
}

/// <summary>A request the receiver got, with when it arrived and the status it was answered with (0: the caller gave up first).</summary>
public sealed record Push(string Path, string Host, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
{
    public int Status { get; set; }

    /// <summary>When the receiver answered it or saw the caller give up (null: still open).</summary>
    public DateTimeOffset? Ended { get; set; }
}

/// <summary>
/// A real webhook endpoint: Kestrel on 127.0.0.1, recording every request with its arrival time and answering per path
/// with a scripted behaviour (status, Retry-After, or a hang).
/// </summary>
public sealed class PushReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<int, Reply>> _behaviours = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _concurrent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _mostConcurrent = new(StringComparer.Ordinal);

    private PushReceiver(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public ConcurrentQueue<Push> Received { get; } = new();

    public static async Task<PushReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new PushReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Port = new Uri(address).Port;
        return receiver;
    }

    /// <summary>
    /// A fresh endpoint on this receiver answering with <paramref name="behaviour"/>. Each gets a host name of its own
    /// (<c>{id}.hooks.test</c>, which the stage host resolves to loopback) unless <paramref name="host"/> is given, so
    /// endpoints do not share the outbound stage's per-host limits; <paramref name="host"/> must resolve to loopback.
    /// </summary>
    public string Endpoint(Func<int, Reply> behaviour, string? host = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var path = "/hooks/" + id;
        _behaviours[path] = behaviour;
        return $"http://{host ?? id[..12] + LoopbackResolver.Suffix}:{Port}{path}";
    }

    /// <summary>The most requests to <paramref name="endpoint"/> that were open at once.</summary>
    public int MostConcurrent(string endpoint) => _mostConcurrent.GetValueOrDefault(new Uri(endpoint).AbsolutePath);

    /// <summary>
    /// The most requests to <paramref name="endpoint"/> its caller held open at once, for a caller that gives up after
    /// <paramref name="callerTimeout"/>: a request counts from its arrival until it ended or the caller's timeout passed,
    /// whichever came first. The receiver notices a caller that gave up only some time later (Kestrel sees the connection
    /// close, then cancels the request), and on a loaded machine that lag let <see cref="MostConcurrent(string)"/> count requests
    /// the caller had already abandoned.
    /// </summary>
    public int MostConcurrent(string endpoint, TimeSpan callerTimeout)
    {
        var pushes = To(endpoint);
        return pushes.Count == 0 ? 0 : pushes.Max(p => pushes.Count(q =>
            q.At <= p.At && q.At + callerTimeout > p.At && (q.Ended is not { } ended || ended > p.At)));
    }

    /// <summary>An endpoint answering <paramref name="statuses"/> in turn, the last one repeating.</summary>
    public string Endpoint(params int[] statuses) => Endpoint(n => new Reply(statuses.Length == 0 ? 200 : statuses[Math.Min(n, statuses.Length - 1)]));

    public IReadOnlyList<Push> To(string endpoint) => [.. Received.Where(r => r.Path == new Uri(endpoint).AbsolutePath)];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var path = context.Request.Path.ToString();
        var push = new Push(
            path,
            context.Request.Host.Host,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body,
            DateTimeOffset.UtcNow);
        Received.Enqueue(push);
        var n = _counts.AddOrUpdate(path, 0, (_, c) => c + 1);
        var open = _concurrent.AddOrUpdate(path, 1, (_, c) => c + 1);
        _mostConcurrent.AddOrUpdate(path, open, (_, c) => Math.Max(c, open));
        try
        {
            var reply = _behaviours.TryGetValue(path, out var behaviour) ? behaviour(n) : Reply.Ok;
            if (reply.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(reply.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            context.Response.StatusCode = reply.Status;
            if (reply.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = reply.RetryAfter;
            }

            push.Status = reply.Status;
        }
        finally
        {
            push.Ended = DateTimeOffset.UtcNow;
            _concurrent.AddOrUpdate(path, 0, (_, c) => c - 1);
        }
    }
}
