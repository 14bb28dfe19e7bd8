using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging.Messages;

/// <summary>The <see cref="IEventQueues"/> on an <see cref="IQueueSender"/>.</summary>
public sealed class EventQueues(IQueueSender sender, IOptions<QueueOptions> options) : IEventQueues
{
    public Task SendInboundAsync(InboundMessage message, CancellationToken cancellationToken) =>
        sender.SendAsync(options.Value.InboundQueue, JsonSerializer.Serialize(message, QueueJsonContext.Default.InboundMessage), null, cancellationToken);

    public Task SendOutboundAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        sender.SendAsync(options.Value.OutboundQueue, JsonSerializer.Serialize(message, QueueJsonContext.Default.OutboundMessage), null, cancellationToken);

    public Task SendValidationAsync(ValidationMessage message, TimeSpan? visibilityDelay, CancellationToken cancellationToken) =>
        sender.SendAsync(options.Value.ValidationQueue, JsonSerializer.Serialize(message, QueueJsonContext.Default.ValidationMessage), visibilityDelay, cancellationToken);

    public Task SendOutboundPoisonAsync(DeliveryPoisonMessage message, CancellationToken cancellationToken) =>
        sender.SendAsync(
            QueueClientFactory.PoisonQueueName(options.Value.OutboundQueue),
            JsonSerializer.Serialize(message, QueueJsonContext.Default.DeliveryPoisonMessage),
            null,
            cancellationToken);
}
