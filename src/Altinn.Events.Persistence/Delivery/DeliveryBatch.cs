using Altinn.Events.Core.Subscriptions;

namespace Altinn.Events.Persistence.Delivery;

/// <summary>An event as the outbound stage pushes it: the stored structured CloudEvent, untouched.</summary>
public sealed record PushEvent(long Seq, DateTimeOffset Registered, string Id, string Resource, int? PartyId, string CloudEvent);

/// <summary>What the outbound stage needs of a subscription, with the health state of its endpoint.</summary>
public sealed record PushTarget(
    Guid Id, string Consumer, string EndPoint, string Secret, string ValidationStatus, DateTimeOffset? DisabledAt, Guid EndpointId, string EndpointState,
    bool Enabled = true, string ContentMode = ContentModes.Structured, int? BatchMaxEvents = null, int? BatchMaxBytes = null, int? AllowedRate = null);

/// <summary>The events and subscriptions a batch of deliveries refers to, loaded with one query per table.</summary>
public sealed record DeliveryBatch(
    IReadOnlyDictionary<(long Seq, DateTimeOffset Registered), PushEvent> Events,
    IReadOnlyDictionary<Guid, PushTarget> Subscriptions);
