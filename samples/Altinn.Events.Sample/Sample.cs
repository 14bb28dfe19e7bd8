using Altinn.Events.Client;
using Altinn.Events.Client.Webhooks;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Sample;

/// <summary>Section <c>Sample</c>: where the API is, who the sample is, and what it subscribes to and polls.</summary>
public sealed class SampleOptions
{
    public Uri ApiBaseAddress { get; set; } = new("http://127.0.0.1:5080/events/api/v1/");

    /// <summary>The URL the service pushes to: this app's <c>/hook</c>.</summary>
    public Uri WebhookUrl { get; set; } = new("http://127.0.0.1:9000/hook");

    public string Org { get; set; } = "ttd";

    public string Resource { get; set; } = "urn:altinn:resource:ttd-events-test";

    /// <summary>The development issuer's folder; default the repository's <c>.data/dev-issuer</c>.</summary>
    public string? DevIssuerDirectory { get; set; }

    /// <summary>Where the poller keeps its cursor, so a restart resumes.</summary>
    public string CursorDirectory { get; set; } = Path.Combine(".data", "sample-cursors");

    /// <summary>Publish one event this often (0: never).</summary>
    public TimeSpan PublishEvery { get; set; } = TimeSpan.FromSeconds(5);
}

public static class SampleExtensions
{
    public static IServiceCollection AddAltinnEventsSample(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SampleOptions>().Bind(configuration.GetSection("Sample")).ValidateOnStart();
        services.AddSingleton<IAccessTokenProvider>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SampleOptions>>().Value;
            return DevIssuerTokenProvider.ForOrg(options.DevIssuerDirectory ?? DevIssuerTokenProvider.DefaultDirectory(), options.Org);
        });
        services.AddAltinnEventsClient(o => o.BaseAddress = configuration.GetSection("Sample").Get<SampleOptions>()?.ApiBaseAddress ?? new SampleOptions().ApiBaseAddress);
        services.AddHostedService<SubscriptionLifetime>();
        services.AddHostedService<Poller>();
        services.AddHostedService<Publisher>();
        return services;
    }
}

/// <summary>Subscribes this app's webhook at start (and teaches the receiver the secret); deletes the subscription at stop.</summary>
internal sealed class SubscriptionLifetime(AltinnEventsClient client, WebhookSecrets secrets, IOptions<SampleOptions> options, ILogger<SubscriptionLifetime> logger) : IHostedService
{
    private Guid? _id;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscription = await client.CreateSubscriptionAsync(
            new SubscriptionRequest { EndPoint = options.Value.WebhookUrl, ResourceFilter = options.Value.Resource },
            cancellationToken);
        secrets.Add(subscription.Secret!);
        _id = subscription.Id;
        SampleLog.Subscribed(logger, subscription.Id, options.Value.WebhookUrl);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_id is { } id)
        {
            await client.DeleteSubscriptionAsync(id, cancellationToken);
            SampleLog.Unsubscribed(logger, id);
        }
    }
}

/// <summary>Polls the resource's events from the stored cursor (from the oldest on the first run), forever.</summary>
internal sealed class Poller(AltinnEventsClient client, IOptions<SampleOptions> options, ILogger<Poller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var store = new FileCursorStore(options.Value.CursorDirectory);
        var query = EventQuery.Events(options.Value.Resource) with { Size = 100 };
        await foreach (var cloudEvent in client.PollAsync(query, new PollOptions { CursorStore = store, CaughtUpDelay = TimeSpan.FromSeconds(2) }, stoppingToken))
        {
            SampleLog.Polled(logger, cloudEvent.Type, cloudEvent.Id);
        }
    }
}

/// <summary>Publishes an event now and then so there is something to receive and poll.</summary>
internal sealed class Publisher(AltinnEventsClient client, IOptions<SampleOptions> options, TimeProvider time, ILogger<Publisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.PublishEvery <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.PublishEvery, time);
        do
        {
            var cloudEvent = AltinnCloudEvents.Create();
            cloudEvent.Id = Guid.NewGuid().ToString();
            cloudEvent.Source = new Uri("https://sample.example/orders/" + cloudEvent.Id);
            cloudEvent.Type = "sample.order.created";
            cloudEvent.Subject = "/party/50001";
            cloudEvent.SetResource(options.Value.Resource);
            await client.PublishAsync(cloudEvent, cancellationToken: stoppingToken);
            SampleLog.Published(logger, cloudEvent.Id);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

internal static partial class SampleLog
{
    [LoggerMessage(LogEventIds.Subscribed, LogLevel.Information, "Subscribed {SubscriptionId} for {Endpoint}")]
    public static partial void Subscribed(ILogger logger, Guid subscriptionId, Uri endpoint);

    [LoggerMessage(LogEventIds.Unsubscribed, LogLevel.Information, "Deleted subscription {SubscriptionId}")]
    public static partial void Unsubscribed(ILogger logger, Guid subscriptionId);

    [LoggerMessage(LogEventIds.Pushed, LogLevel.Information, "Pushed ({WebhookId}): {Type} {EventId} of {Resource}")]
    public static partial void Pushed(ILogger logger, string webhookId, string? type, string? eventId, string? resource);

    [LoggerMessage(LogEventIds.Polled, LogLevel.Information, "Polled: {Type} {EventId}")]
    public static partial void Polled(ILogger logger, string? type, string? eventId);

    [LoggerMessage(LogEventIds.Published, LogLevel.Information, "Published {EventId}")]
    public static partial void Published(ILogger logger, string eventId);
}
