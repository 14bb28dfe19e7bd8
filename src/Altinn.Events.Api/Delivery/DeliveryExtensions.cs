using Altinn.Events.Persistence.Delivery;

namespace Altinn.Events.Api.Delivery;

internal static class DeliveryExtensions
{
    /// <summary>The delivery log and redelivery endpoints: <c>Redelivery</c> options (validated at start), the store, the service.</summary>
    public static IHostApplicationBuilder AddDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RedeliveryOptions>().BindConfiguration(RedeliveryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton<DeliverySchedule>();
        builder.Services.AddScoped<DeliveryService>();
        return builder;
    }
}
