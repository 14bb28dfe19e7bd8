using Altinn.Events.Core;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Messaging.Wakeups;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Altinn.Events.Messaging;

public static class MessagingExtensions
{
    /// <summary>Queue options (validated at start), the client factory, the sender, and a readiness check on the queues.</summary>
    public static IServiceCollection AddEventQueues(this IServiceCollection services)
    {
        // Called by each host and again by every AddQueueFunction: register once, or the health check name and the
        // provisioning service would be added twice.
        if (services.Any(d => d.ServiceType == typeof(QueueProvisioner)))
        {
            return services;
        }

        services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<QueueClientFactory>();
        services.TryAddSingleton<QueueProvisioner>();
        services.TryAddSingleton<IQueueSender, AzureQueueSender>();
        services.TryAddSingleton<IEventQueues, EventQueues>();
        services.TryAddSingleton<QueueWakeups>();
        services.TryAddSingleton<IQueueAnnouncer>(sp => sp.GetService<NpgsqlDataSource>() is { } database
            ? ActivatorUtilities.CreateInstance<PostgresQueueAnnouncer>(sp, database)
            : ActivatorUtilities.CreateInstance<LocalQueueAnnouncer>(sp));
        services.AddHostedService<QueueProvisioningService>();
        services.AddHealthChecks().AddCheck<QueuesHealthCheck>("queues", tags: [HealthTags.Ready]);
        return services;
    }

    /// <summary>
    /// Registers <typeparamref name="TFunction"/> as a queue-triggered function: one listener, options bound from
    /// <c>Stages:{functionName}</c>, listening on the queue <paramref name="defaultQueue"/> picks unless configured.
    /// </summary>
    public static IServiceCollection AddQueueFunction<TFunction>(this IServiceCollection services, string functionName, Func<QueueOptions, string> defaultQueue)
        where TFunction : class, IQueueFunction
    {
        services.AddEventQueues();
        services.AddOptions<QueueListenerOptions>(functionName)
            .Configure<IOptions<QueueOptions>>((o, queues) => o.QueueName = defaultQueue(queues.Value))
            .BindConfiguration($"Stages:{functionName}")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddScoped<TFunction>();
        if (!services.Any(d => d.ServiceType == typeof(WakeupListenerMarker)))
        {
            // One LISTEN connection per host with listeners, when the host has the database (every host here does).
            services.AddSingleton<WakeupListenerMarker>();
            services.AddSingleton<IHostedService>(sp => sp.GetService<NpgsqlDataSource>() is { } database
                ? ActivatorUtilities.CreateInstance<PostgresWakeupListener>(sp, database)
                : new NoWakeupListener());
        }

        services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueueListener<TFunction>>(sp, functionName));
        return services;
    }
}

internal sealed class QueueProvisioningService(IServiceProvider services, IOptions<QueueOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.CreateOnStart)
        {
            await services.GetRequiredService<QueueProvisioner>().EnsureQueuesAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed class QueuesHealthCheck(QueueClientFactory factory, IOptions<QueueOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            foreach (var name in options.Value.AllQueues())
            {
                if (!await factory.GetQueue(name).ExistsAsync(cancellationToken))
                {
                    return HealthCheckResult.Unhealthy($"Queue '{name}' does not exist.");
                }
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The queue service is unreachable.", ex);
        }
    }
}

/// <summary>Stands in for the wake-up listener in a host without a database: the listeners only poll.</summary>
internal sealed class NoWakeupListener : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Registered once with the wake-up listener, so several queue functions share one.</summary>
internal sealed class WakeupListenerMarker;
