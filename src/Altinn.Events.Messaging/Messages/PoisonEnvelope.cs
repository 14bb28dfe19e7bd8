namespace Altinn.Events.Messaging.Messages;

/// <summary>
/// The fields of both poison envelopes (the listener's <see cref="Listener.PoisonMessage"/> and the outbound stage's
/// <c>DeliveryPoisonMessage</c>), for reading either; a field the envelope lacks stays null.
/// </summary>
public sealed record PoisonEnvelope(
    string? Queue,
    string? MessageId,
    long? DequeueCount,
    string? Reason,
    DateTimeOffset? FailedAt,
    DateTimeOffset? InsertedOn,
    string? Body,
    Guid? SubscriptionId,
    string? EventId);
