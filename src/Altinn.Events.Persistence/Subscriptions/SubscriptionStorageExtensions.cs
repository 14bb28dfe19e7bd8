using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.Persistence.Subscriptions;

public static class SubscriptionStorageExtensions
{
    /// <summary>The <see cref="SubscriptionStore"/>; the data source comes from <c>AddEventsDatabase</c>.</summary>
    public static IServiceCollection AddSubscriptionStore(this IServiceCollection services)
    {
        services.TryAddSingleton<SubscriptionStore>();
        return services;
    }
}
