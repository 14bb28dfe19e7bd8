namespace Altinn.Events.Api.SubscriberTools;

internal static class SubscriberToolsExtensions
{
    /// <summary>The test event and delivery statistics of a subscription's owner (needs the subscriptions and queues of the API).</summary>
    public static IHostApplicationBuilder AddSubscriberTools(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TestEventStore>();
        builder.Services.AddSingleton<DeliveryStatsStore>();
        builder.Services.AddScoped<TestEventService>();
        return builder;
    }
}
