namespace Altinn.Events.Core.Delivery;

/// <summary>
/// What the outbound stage writes to <c>events-outbound-poison</c> when a delivery's last attempt failed. It has the
/// fields of the listener's poison message (queue, message id, attempts as dequeue count, reason, time, body: the
/// delivery as an <see cref="OutboundMessage"/>) plus the delivery and its history from the delivery log. To push it
/// again, use <c>POST /subscriptions/{id}/redeliver</c>: re-driving the body alone is ignored, the delivery is failed.
/// </summary>
public sealed record DeliveryPoisonMessage(
    string Queue,
    string MessageId,
    long DequeueCount,
    string Reason,
    DateTimeOffset FailedAt,
    DateTimeOffset? InsertedOn,
    string Body,
    Guid SubscriptionId,
    string EventId,
    long Seq,
    DateTimeOffset Registered,
    IReadOnlyList<DeliveryAttemptEntry> History);

/// <summary>One attempt of a delivery, as the delivery log holds it.</summary>
public sealed record DeliveryAttemptEntry(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, int DurationMs, string? Error, string Outcome);
