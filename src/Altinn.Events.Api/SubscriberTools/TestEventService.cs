using System.Text.Json.Nodes;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Events;
using Altinn.Events.Persistence.Subscriptions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.SubscriberTools;

/// <summary>What a test-event request came to; the endpoint turns it into a status code.</summary>
internal abstract record TestEventResult
{
    public sealed record NotValidated(string Status) : TestEventResult;

    public sealed record Queued(TestEventResponse Response) : TestEventResult;
}

/// <summary>
/// Sends a subscription's owner a test event through the real outbound path: stored with its delivery row, then an outbound
/// queue message, so the outbound stage pushes it (signed, with the usual retries) and logs the attempt in the delivery log.
/// If the message cannot be sent the row is due <see cref="DeliveryTimes.QueuedGrace"/> later and the scheduler pushes it.
/// </summary>
internal sealed class TestEventService(
    TestEventStore store,
    IEventQueues queues,
    IOptions<SubscriptionOptions> subscriptionOptions,
    TimeProvider time,
    ILogger<TestEventService> logger)
{

    public async Task<TestEventResult> SendAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.ValidationStatus != ValidationStatus.Validated)
        {
            return new TestEventResult.NotValidated(subscription.ValidationStatus);
        }

        var now = time.GetUtcNow();
        var id = Guid.NewGuid().ToString();
        var source = $"{subscriptionOptions.Value.PublicBaseUrl.TrimEnd('/')}{EventsApi.BasePath}/subscriptions/{subscription.Id}/test-event";
        var cloudEvent = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = source,
            ["type"] = TestEvents.Type,
            ["time"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["resource"] = TestEvents.Resource,
            ["datacontenttype"] = "application/json",
            ["data"] = new JsonObject
            {
                ["subscriptionId"] = subscription.Id.ToString(),
                ["message"] = "A test event, sent because the subscription's owner asked for one.",
            },
        }.ToJsonString();
        var stored = await store.InsertAsync(
            subscription.Id,
            new NewEvent(id, source, TestEvents.Resource, TestEvents.Type, null, null, null, now, cloudEvent, subscription.Consumer),
            now,
            now + DeliveryTimes.QueuedGrace,
            cancellationToken);

        try
        {
            var message = new OutboundMessage([new DeliveryReference(subscription.Id, stored.Seq, stored.Registered)]);
            await queues.SendOutboundAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The delivery row is queued and due soon: the outbound scheduler takes it without the message.
            SubscriberToolsLog.TestEventMessageFailed(logger, ex, subscription.Id);
        }

        SubscriberToolsLog.TestEventQueued(logger, subscription.Id, stored.Seq);
        return new TestEventResult.Queued(new TestEventResponse(id, TestEvents.Type, now));
    }
}

internal static partial class SubscriberToolsLog
{
    [LoggerMessage(LogEventIds.TestEventQueued, LogLevel.Information, "Test event (seq {Seq}) queued for subscription {SubscriptionId}")]
    public static partial void TestEventQueued(ILogger logger, Guid subscriptionId, long seq);

    [LoggerMessage(LogEventIds.TestEventMessageFailed, LogLevel.Warning, "The outbound message of a test event for subscription {SubscriptionId} could not be sent; the scheduler pushes it when its row is due")]
    public static partial void TestEventMessageFailed(ILogger logger, Exception exception, Guid subscriptionId);
}
