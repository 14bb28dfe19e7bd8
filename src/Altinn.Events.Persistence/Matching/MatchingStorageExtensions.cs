using Altinn.Events.Persistence.Delivery;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.Persistence.Matching;

public static class MatchingStorageExtensions
{
    /// <summary>What the inbound stage reads and writes: events, subscription matches, delivery records.</summary>
    public static IServiceCollection AddMatchingStorage(this IServiceCollection services)
    {
        services.TryAddSingleton<EventReader>();
        services.TryAddSingleton<SubscriptionMatchStore>();
        services.TryAddSingleton<DeliveryRecorder>();
        return services;
    }
}
