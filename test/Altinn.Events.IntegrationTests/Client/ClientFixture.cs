using System.Collections.Concurrent;
using Altinn.Events.Client;
using Altinn.Events.Client.AspNetCore;
using Altinn.Events.Client.Webhooks;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using CloudNative.CloudEvents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.IntegrationTests.Client;

/// <summary>
/// The whole service for the client library: the API (in memory, reached through the client's real handler pipeline with
/// its resilience and token handlers) and the stage host running inbound, outbound and validation on the same database
/// and queues, with one-second retries; and <see cref="Receiver"/>, an ASP.NET Core app on Kestrel (127.0.0.1) with
/// <c>MapEventsWebhook</c>, which the stage host pushes to for real.
/// </summary>
public sealed class ClientFixture : SubscriptionsApiFixture
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);
    private StagesFactory? _stages;

    public ReceiverApp Receiver { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Receiver = await ReceiverApp.StartAsync();
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Stages:Run"] = "inbound,outbound,validation",
            ["Outbound:RetrySchedule"] = "1s, 1s, 1s, 1s, 1s",
            ["Outbound:Timeout"] = "00:00:05",
            ["Outbound:SchedulerInterval"] = "00:00:00.100",
            ["Validation:RetrySchedule"] = "1s, 1s",
            ["Validation:Timeout"] = "00:00:05",
            ["Publishing:Relay:PollInterval"] = "00:00:00.100",
        };
        foreach (var stage in new[] { "inbound", "outbound", "validation" })
        {
            settings[$"Stages:{stage}:MinPollingInterval"] = "00:00:00.050";
            settings[$"Stages:{stage}:MaxPollingInterval"] = "00:00:00.200";
        }

        _stages = new StagesFactory(settings);
        _ = _stages.Server;
    }

    public override async Task DisposeAsync()
    {
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        await Receiver.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Publishing:Relay:PollInterval"] = "00:00:00.100";
    }

    /// <summary>The client as an integrator registers it, with the in-memory API as its primary handler.</summary>
    public AltinnEventsClient Client(IAccessTokenProvider tokens)
    {
        var services = new ServiceCollection();
        services.AddAltinnEventsClient(o =>
        {
            o.BaseAddress = new Uri(Factory.Server.BaseAddress, "/events/api/v1/");
            o.TokenProvider = tokens;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        }).ConfigurePrimaryHttpMessageHandler(() => Factory.Server.CreateHandler());
        return services.BuildServiceProvider().GetRequiredService<AltinnEventsClient>();
    }

    /// <summary>Tokens from the test issuer's key folder through the library's development-issuer adapter.</summary>
    public static DevIssuerTokenProvider Org(string org = "ttd") => DevIssuerTokenProvider.ForOrg(TestTokens.Trusted.Directory, org);

    public static DevIssuerTokenProvider App(string org = "ttd", string app = "apps-test") => DevIssuerTokenProvider.ForApp(TestTokens.Trusted.Directory, org, app);

    public static DevIssuerTokenProvider User(int userId, int partyId) => DevIssuerTokenProvider.ForUser(TestTokens.Trusted.Directory, userId, partyId);
}

/// <summary>A clock the test can move: the system's time plus <see cref="Offset"/>.</summary>
public sealed class MovableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

/// <summary>A raw request as it reached the receiver, and what the receiver answered.</summary>
public sealed record RawPush(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body, int Status)
{
    public string? WebhookId => Headers.TryGetValue("webhook-id", out var id) ? id : null;
}

/// <summary>
/// An application receiving Altinn Events the way the library tells integrators to: <c>AddEventsWebhooks</c> and
/// <c>MapEventsWebhook("/hooks/{name}")</c> on Kestrel. It records every raw request and answer, and every event handed
/// to the application; <see cref="AbortAfterHandling"/> makes a path lose its answer once after the application handled
/// a push (the connection is reset), as when a receiver crashes before answering.
/// </summary>
public sealed class ReceiverApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly MovableClock _clock;

    private ReceiverApp(WebApplication app, MovableClock clock)
    {
        _app = app;
        _clock = clock;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public WebhookSecrets Secrets => _app.Services.GetRequiredService<WebhookSecrets>();

    public ConcurrentQueue<RawPush> Requests { get; } = new();

    public ConcurrentQueue<(string Path, CloudEvent Event, EventsWebhookContext Context)> Handled { get; } = new();

    public ConcurrentDictionary<string, bool> AbortAfterHandling { get; } = new(StringComparer.Ordinal);

    public static async Task<ReceiverApp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var clock = new MovableClock();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddEventsWebhooks();
        var app = builder.Build();
        var receiver = new ReceiverApp(app, clock);
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            using var copy = new MemoryStream();
            await context.Request.Body.CopyToAsync(copy);
            context.Request.Body.Position = 0;
            await next(context);
            var path = context.Request.Path.ToString();
            receiver.Requests.Enqueue(new RawPush(path, context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), copy.ToArray(), context.Response.StatusCode));
            if (context.Items.ContainsKey("handled") && receiver.AbortAfterHandling.TryRemove(path, out _))
            {
                context.Abort();
            }
        });
        app.MapEventsWebhook("/hooks/{name}", (e, context, ct) =>
        {
            context.HttpContext.Items["handled"] = true;
            receiver.Handled.Enqueue((context.HttpContext.Request.Path.ToString(), e, context));
            return Task.CompletedTask;
        });
        await app.StartAsync();
        receiver.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/') + "/");
        return receiver;
    }

    /// <summary>Moves the receiver's clock (the one its timestamp check uses).</summary>
    public void MoveClock(TimeSpan offset) => _clock.Offset = offset;

    /// <summary>A fresh endpoint path on this receiver.</summary>
    public (Uri Endpoint, string Path) NewEndpoint()
    {
        var path = "/hooks/" + Guid.NewGuid().ToString("N");
        return (new Uri(BaseAddress, path), path);
    }

    public IReadOnlyList<RawPush> RequestsTo(string path) => [.. Requests.Where(r => r.Path == path)];

    public IReadOnlyList<CloudEvent> HandledAt(string path) => [.. Handled.Where(h => h.Path == path).Select(h => h.Event)];

    /// <summary>Sends a recorded push again (optionally altered) straight to the receiver; returns its answer.</summary>
    public async Task<int> ReplayAsync(RawPush push, byte[]? body = null)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, push.Path) { Content = new ByteArrayContent(body ?? push.Body) };
        foreach (var (name, value) in push.Headers)
        {
            if (name.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ce-", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await http.SendAsync(request);
        return (int)response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
