using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Delivery;

namespace Altinn.Events.Stages.Outbound;

internal static class OutboundExtensions
{
    /// <summary>The outbound stage: a queue function on <c>events-outbound</c>, options from <c>Outbound</c>.</summary>
    public static IHostApplicationBuilder AddOutboundStage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddWebhookClient();
        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton<EndpointLimiter>();
        builder.Services.AddQueueFunction<OutboundFunction>("outbound", q => q.OutboundQueue);
        return builder;
    }
}
