using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.Persistence.Events;

public static class EventStorageExtensions
{
    /// <summary>
    /// The group-commit writer, the outbox and the reader. The writer reads <see cref="EventWriterOptions"/>, which the
    /// publishing feature that runs it binds.
    /// </summary>
    public static IServiceCollection AddEventStorage(this IServiceCollection services)
    {
        services.TryAddSingleton<IOutboxSignal, OutboxSignal>();
        services.TryAddSingleton<GroupCommitEventWriter>();
        services.TryAddSingleton<IEventWriter>(sp => sp.GetRequiredService<GroupCommitEventWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitEventWriter>());
        services.TryAddSingleton<Outbox>();
        services.TryAddSingleton<EventReader>();
        return services;
    }

    /// <summary>
    /// Partition maintenance (creating the coming days' partitions, dropping expired ones) on a timer. It reads
    /// <see cref="RetentionOptions"/>, which the host's retention feature binds.
    /// </summary>
    public static IServiceCollection AddPartitionMaintenance(this IServiceCollection services)
    {
        services.TryAddSingleton<PartitionMaintenance>();
        services.AddHostedService<PartitionMaintenanceService>();
        return services;
    }
}
