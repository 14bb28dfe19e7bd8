using System.Collections.Concurrent;
using Altinn.Events.IntegrationTests.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.IntegrationTests.Subscriptions;

/// <summary>
/// A real webhook endpoint: Kestrel on 127.0.0.1, recording every request per path and answering with the status codes
/// scripted for that path in turn (the last one repeats; 200 when none are scripted).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _last = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Status, IReadOnlyDictionary<string, string> Headers)> _options = new(StringComparer.Ordinal);

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    /// <summary>Starts on <paramref name="port"/> (0: any free port).</summary>
    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var received = new ReceivedRequest(
                ctx.Request.Method,
                ctx.Request.Path.ToString(),
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                await reader.ReadToEndAsync(ctx.RequestAborted))
            {
                At = DateTimeOffset.UtcNow,
            };
            receiver.Received.Enqueue(received);
            if (ctx.Request.Method == "OPTIONS" && receiver._options.TryGetValue(received.PathAndQuery, out var answer))
            {
                foreach (var (name, value) in answer.Headers)
                {
                    ctx.Response.Headers[name] = value;
                }

                ctx.Response.StatusCode = answer.Status;
                return;
            }

            ctx.Response.StatusCode = receiver.NextStatus(received.PathAndQuery);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return receiver;
    }

    /// <summary>A fresh path on this receiver, answering <paramref name="statuses"/> in turn.</summary>
    public string Endpoint(params int[] statuses)
    {
        var path = "/hooks/" + Guid.NewGuid().ToString("N");
        _scripts[path] = new ConcurrentQueue<int>(statuses);
        return new Uri(BaseAddress, path).ToString();
    }

    /// <summary>How <paramref name="endpoint"/> answers OPTIONS (the CloudEvents webhook handshake): a status and headers.</summary>
    public void AnswerOptions(string endpoint, int status, params (string Name, string Value)[] headers) =>
        _options[new Uri(endpoint).AbsolutePath] = (status, headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase));

    public IReadOnlyList<ReceivedRequest> RequestsTo(string endpoint) =>
        [.. Received.Where(r => r.PathAndQuery == new Uri(endpoint).AbsolutePath)];

    private int NextStatus(string path)
    {
        if (_scripts.TryGetValue(path, out var script) && script.TryDequeue(out var status))
        {
            _last[path] = status;
            return status;
        }

        return _last.TryGetValue(path, out var last) ? last : 200;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
