namespace Altinn.Events.Core.Delivery;

/// <summary>
/// A message on the <c>events-outbound</c> queue: deliveries to push, many per message. The inbound stage writes
/// batches; the outbound stage re-queues a failed delivery alone, with the next attempt number and a visibility delay.
/// </summary>
public sealed record OutboundMessage(IReadOnlyList<DeliveryReference> Deliveries);

/// <summary>One event for one subscription; the outbound stage loads both (the event by sequence and registration time).</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Seq">The event's store sequence number.</param>
/// <param name="Registered">The event's registration time (names its partition).</param>
/// <param name="Attempt">1 for the first push, counting up on each retry.</param>
public sealed record DeliveryReference(Guid SubscriptionId, long Seq, DateTimeOffset Registered, int Attempt = 1);

/// <summary>Values of <c>deliveries.status</c>.</summary>
public static class DeliveryStatus
{
    public const string Queued = "queued";
    public const string Unauthorized = "unauthorized";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Gone = "gone";
}
