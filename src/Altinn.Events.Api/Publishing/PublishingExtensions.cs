using Altinn.Events.Persistence.Events;

namespace Altinn.Events.Api.Publishing;

internal static class PublishingExtensions
{
    public static IHostApplicationBuilder AddPublishing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PublishingOptions>().BindConfiguration("Publishing").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RelayOptions>().BindConfiguration("Publishing:Relay").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<EventWriterOptions>().BindConfiguration("Publishing:Writer").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PublishAdmission>();
        builder.Services.AddSingleton<PublishService>();
        builder.Services.AddEventStorage();
        builder.Services.AddHostedService<OutboxRelayService>();
        return builder;
    }
}
