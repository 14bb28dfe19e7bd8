using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;

namespace Altinn.Events.Messaging.Messages;

/// <summary>
/// Sends the stage messages to their queues: it knows the queue names (<see cref="QueueOptions"/>) and the wire format
/// (<see cref="QueueJsonContext"/>), so callers hand it a message and nothing else.
/// </summary>
public interface IEventQueues
{
    /// <summary>Event references to the inbound queue, visible at once.</summary>
    Task SendInboundAsync(InboundMessage message, CancellationToken cancellationToken);

    /// <summary>First attempts of deliveries to the outbound queue, visible at once.</summary>
    Task SendOutboundAsync(OutboundMessage message, CancellationToken cancellationToken);

    /// <summary>A validation attempt to the validation queue; <paramref name="visibilityDelay"/> null sends it visible at once.</summary>
    Task SendValidationAsync(ValidationMessage message, TimeSpan? visibilityDelay, CancellationToken cancellationToken);

    /// <summary>A delivery whose last attempt failed, to the outbound queue's poison queue.</summary>
    Task SendOutboundPoisonAsync(DeliveryPoisonMessage message, CancellationToken cancellationToken);
}
