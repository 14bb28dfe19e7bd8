using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Subscriptions;

namespace Altinn.Events.Api.Subscriptions;

internal static class SubscriptionsExtensions
{
    /// <summary>
    /// The subscriptions API: <c>Subscriptions</c> options (validated at start), the store, the host resolver for the
    /// endpoint address check, and the service. Needs the authorization and register of <c>AddEventsAuthorization</c>.
    /// </summary>
    public static IHostApplicationBuilder AddSubscriptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSubscriptionOptions();
        builder.Services.AddWebhookClient();
        builder.Services.AddSubscriptionStore();
        builder.Services.AddScoped<SubscriptionService>();
        return builder;
    }
}
