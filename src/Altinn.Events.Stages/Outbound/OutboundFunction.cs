using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Delivery;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// The outbound stage's queue function, on <c>events-outbound</c>: first attempts only. It claims the message's deliveries
/// that are still queued (one statement; a redelivered message or a second copy claims nothing, so a delivery is never
/// pushed twice at once) and hands them to the <see cref="DeliveryPusher"/>. Everything after a first attempt (retries,
/// deliveries parked on an open or busy endpoint, probes, lapsed claims) is the <see cref="DeliveryScheduler"/>'s, from
/// PostgreSQL: a failing endpoint causes no queue messages. The message completes when the pushes that found a free slot
/// at once end, or after <see cref="OutboundOptions.HoldMessageFor"/> while slow ones go on under their claims; pushes
/// waiting in line for a slot never hold it.
/// </summary>
internal sealed class OutboundFunction(
    DeliverySchedule schedule,
    DeliveryPusher pusher,
    IOptions<OutboundOptions> options,
    TimeProvider time,
    ILogger<OutboundFunction> logger) : IQueueFunction
{

    public async Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        var deliveries = Parse(message.Body).DistinctBy(d => (d.SubscriptionId, d.Seq, d.Registered)).ToList();
        var now = time.GetUtcNow();
        var claimed = await schedule.ClaimQueuedAsync(deliveries, Guid.NewGuid(), now, now + options.Value.ClaimFor, cancellationToken);
        if (claimed.Count < deliveries.Count)
        {
            OutboundLog.NotQueued(logger, message.MessageId, deliveries.Count - claimed.Count);
        }

        // The message waits for the pushes that found a slot at once, so a listener takes no more than the endpoints
        // accept; one waiting in line for a busy or hanging endpoint holds its claim, not the message or a listener slot.
        var batch = await pusher.RunAsync(claimed, new PushMode(Reauthorize: false), cancellationToken);
        if (batch.Pushes > 0)
        {
            await Task.WhenAny(batch.PushedAtOnce, Task.Delay(options.Value.HoldMessageFor, time, cancellationToken));
        }
    }

    private static IReadOnlyList<DeliveryReference> Parse(string body)
    {
        OutboundMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(body, QueueJsonContext.Default.OutboundMessage);
        }
        catch (JsonException ex)
        {
            throw new PermanentMessageException($"Not an outbound message: {ex.Message}", ex);
        }

        if (message?.Deliveries is not { Count: > 0 } deliveries)
        {
            throw new PermanentMessageException("An outbound message needs at least one delivery.");
        }

        if (deliveries.Any(d => d is null || d.SubscriptionId == Guid.Empty || d.Seq <= 0))
        {
            throw new PermanentMessageException("Every delivery needs subscriptionId, seq and registered.");
        }

        return deliveries;
    }
}
