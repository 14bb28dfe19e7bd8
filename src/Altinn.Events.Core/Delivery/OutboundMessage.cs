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

/// <summary>Values of <c>deliveries.status</c> (migration 0008 describes each).</summary>
public static class DeliveryStatus
{
    /// <summary>Handed to <c>events-outbound</c>; not pushed yet.</summary>
    public const string Queued = "queued";

    /// <summary>A push failed; the scheduler tries again at the row's due time.</summary>
    public const string Waiting = "waiting";

    /// <summary>Waits on its endpoint (open, or all its slots were busy); given up at the row's due time.</summary>
    public const string Parked = "parked";

    /// <summary>Claimed by one outbound instance for one push.</summary>
    public const string Pushing = "pushing";

    /// <summary>Its subscription is paused; due again (oldest first) when it is resumed.</summary>
    public const string Paused = "paused";

    public const string Unauthorized = "unauthorized";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Gone = "gone";

    /// <summary>Not pushed: the subscription was deleted, disabled or not validated, the event expired, or the consumer lost the right.</summary>
    public const string Skipped = "skipped";

    /// <summary>Whether nothing more will happen to a delivery in this status.</summary>
    public static bool IsSettled(string status) => status is Unauthorized or Delivered or Failed or Gone or Skipped;
}

/// <summary>Values of <c>endpoints.state</c>: the health of a webhook URL, shared by every outbound instance.</summary>
public static class EndpointState
{
    /// <summary>Pushes succeed (also: no row).</summary>
    public const string Healthy = "healthy";

    /// <summary>Some pushes failed lately, fewer in a row than <c>Outbound:OpenAfter</c>.</summary>
    public const string Failing = "failing";

    /// <summary>Nothing is pushed but one probe per retry step; deliveries wait parked.</summary>
    public const string Open = "open";
}

/// <summary>The Standard Webhooks message id (<c>webhook-id</c>) of a push.</summary>
public static class WebhookIds
{
    /// <summary>
    /// <c>{subscriptionId}:{seq}</c> for the first delivery of an event to a subscription, <c>{subscriptionId}:{seq}:{n}</c>
    /// for its n-th redelivery. Every retry of one delivery keeps its id, so receivers de-duplicate retries by it; a
    /// redelivery was asked for, so it is a new delivery with an id of its own, and receivers do not drop it.
    /// </summary>
    public static string For(Guid subscriptionId, long seq, int generation) =>
        generation == 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:{seq}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:{seq}:{generation}");

    /// <summary>
    /// The id of a batched push: <c>{subscriptionId}:batch:{firstSeq}-{lastSeq}:{digest}</c>, the digest (16 hex digits of
    /// SHA-256) over every member's sequence number and redelivery generation. It follows from what the batch holds, so a
    /// retry of the same deliveries carries the same id and receivers de-duplicate it; a redelivery (a new generation)
    /// makes a new id. The part before the first <c>:</c> is the subscription, as for single pushes.
    /// </summary>
    public static string ForBatch(Guid subscriptionId, IReadOnlyList<(long Seq, int Generation)> members)
    {
        ArgumentOutOfRangeException.ThrowIfZero(members.Count);
        var ordered = members.OrderBy(m => m.Seq).ToList();
        var text = string.Join(',', ordered.Select(m => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{m.Seq}.{m.Generation}")));
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{subscriptionId}:batch:{ordered[0].Seq}-{ordered[^1].Seq}:{digest}");
    }
}
