using Altinn.Events.Api.Analytics;
using Altinn.Events.Api.Delivery;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Publishing;
using Altinn.Events.Api.Queries;
using Altinn.Events.Api.SubscriberTools;
using Altinn.Events.Api.Subscriptions;

namespace Altinn.Events.Api;

internal static class EventsApi
{
    public const string BasePath = "/events/api/v1";

    /// <summary>Every endpoint of the contract, under <see cref="BasePath"/>.</summary>
    public static WebApplication MapEventsApi(this WebApplication app)
    {
        var api = app.MapGroup(BasePath);
        api.MapWhoAmI();
        api.MapPublishing();
        api.MapQueries();
        api.MapSubscriptions();
        api.MapDelivery();
        api.MapSubscriberTools();
        api.MapAnalytics();
        return app;
    }
}
