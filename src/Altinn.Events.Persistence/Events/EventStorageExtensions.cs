using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.Persistence.Events;

public static class EventStorageExtensions
{
    /// <summary>The group-commit writer, the outbox, and partition maintenance (creation ahead, retention).</summary>
    public static IServiceCollection AddEventStorage(this IServiceCollection services)
    {
        services.AddOptions<EventWriterOptions>().BindConfiguration("Publishing:Writer").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetentionOptions>().BindConfiguration("Retention").ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IOutboxSignal, OutboxSignal>();
        services.TryAddSingleton<GroupCommitEventWriter>();
        services.TryAddSingleton<IEventWriter>(sp => sp.GetRequiredService<GroupCommitEventWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitEventWriter>());
        services.TryAddSingleton<Outbox>();
        services.TryAddSingleton<EventReader>();
        services.TryAddSingleton<PartitionMaintenance>();
        services.AddHostedService<PartitionMaintenanceService>();
        return services;
    }
}
