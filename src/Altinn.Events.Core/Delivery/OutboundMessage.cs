namespace Altinn.Events.Core.Delivery;

/// <summary>
/// A message on the <c>events-outbound</c> queue: first attempts of deliveries, many per message (the inbound stage and
/// redelivery write them). Retries are not queue messages: their due times live on the deliveries rows.
/// </summary>
public sealed record OutboundMessage(IReadOnlyList<DeliveryReference> Deliveries);

/// <summary>One event for one subscription; the outbound stage loads both (the event by sequence and registration time).</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Seq">The event's store sequence number.</param>
/// <param name="Registered">The event's registration time (names its partition).</param>
/// <param name="Attempt">Kept for messages written before retries moved to PostgreSQL; the outbound stage ignores it.</param>
public sealed record DeliveryReference(Guid SubscriptionId, long Seq, DateTimeOffset Registered, int Attempt = 1);
