using Altinn.Events.Client.Webhooks;

namespace Altinn.Events.Client.AspNetCore;

/// <summary>Settings of the webhook receiver (<see cref="EventsWebhookEndpointExtensions.MapEventsWebhook"/>).</summary>
public sealed class EventsWebhookOptions
{
    /// <summary>Secrets accepted from the start (more can be added at run time through <see cref="WebhookSecrets"/>).</summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>How far <c>webhook-timestamp</c> may be from now, either way (default five minutes).</summary>
    public TimeSpan TimestampTolerance { get; set; } = WebhookSignature.DefaultTolerance;

    /// <summary>The largest body accepted (default 8 MB, room for a batched push); larger is 413.</summary>
    public long MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// The senders that may push here, by the name they give in the CloudEvents webhook handshake
    /// (<c>WebHook-Request-Origin</c>, for a subscription with validationMethod <c>options</c>). Empty (the default): any
    /// sender that asks is allowed, as mapping the endpoint is the consent.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The push rate granted in the handshake (<c>WebHook-Allowed-Rate</c>, requests per minute); null (the default): no limit (<c>*</c>).</summary>
    public int? AllowedRate { get; set; }
}

/// <summary>What the receiver knows about the push an event came in.</summary>
/// <param name="WebhookId">The <c>webhook-id</c>: <c>{subscriptionId}:{seq}</c> for a push, <c>...:{n}</c> for the n-th redelivery,
/// <c>{subscriptionId}:batch:{firstSeq}-{lastSeq}:{digest}</c> for a batched push (the same for every retry of that batch).</param>
/// <param name="Timestamp">The <c>webhook-timestamp</c>.</param>
/// <param name="Index">The event's place in the push (0; more in a batched push).</param>
/// <param name="Count">Events in the push.</param>
/// <param name="HttpContext">The request.</param>
public sealed record EventsWebhookContext(string WebhookId, DateTimeOffset Timestamp, int Index, int Count, Microsoft.AspNetCore.Http.HttpContext HttpContext)
{
    /// <summary>The subscription, from the part of <see cref="WebhookId"/> before the first <c>:</c> (null when that is not a GUID).</summary>
    public Guid? SubscriptionId => Guid.TryParse(WebhookId.Split(':', 2)[0], out var id) ? id : null;
}

/// <summary>The application's handler: called once for each event of each push that is not a duplicate. Throwing makes the push fail (500), so the service retries it.</summary>
public delegate Task EventsWebhookHandler(CloudNative.CloudEvents.CloudEvent cloudEvent, EventsWebhookContext context, CancellationToken cancellationToken);
