using Altinn.Events.Authorization;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Delivery;
using Altinn.Events.Persistence.Register;

namespace Altinn.Events.Stages.Outbound;

internal static class OutboundExtensions
{
    /// <summary>
    /// The outbound stage: a queue function on <c>events-outbound</c> for first attempts and the delivery scheduler for
    /// everything after (retries, probes, backlogs) from PostgreSQL; options from <c>Outbound</c>.
    /// </summary>
    public static IHostApplicationBuilder AddOutboundStage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSubscriptionOptions();
        builder.Services.AddWebhookClient();
        builder.AddEventsAuthorization();
        builder.Services.AddLocalRegister();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton<DeliveredBatcher>();
        builder.Services.AddSingleton<DeliverySchedule>();
        builder.Services.AddSingleton<EndpointLimiter>();
        builder.Services.AddSingleton<RateGate>();
        builder.Services.AddSingleton<OutboundMetrics>();
        builder.Services.AddSingleton<DeliveryPusher>();
        builder.Services.AddHostedService<DeliveryScheduler>();
        builder.Services.AddQueueFunction<OutboundFunction>("outbound", q => q.OutboundQueue);
        return builder;
    }
}
