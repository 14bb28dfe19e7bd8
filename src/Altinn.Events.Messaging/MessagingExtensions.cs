using Altinn.Events.Core;
using Altinn.Events.Messaging.Listener;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging;

public static class MessagingExtensions
{
    /// <summary>Queue options (validated at start), the client factory, the sender, and a readiness check on the queues.</summary>
    public static IServiceCollection AddEventQueues(this IServiceCollection services)
    {
        // Called by the service defaults and again by every AddQueueFunction: register once, or the health check
        // name and the provisioning service would be added twice.
        if (services.Any(d => d.ServiceType == typeof(QueueProvisioner)))
        {
            return services;
        }

        services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<QueueClientFactory>();
        services.TryAddSingleton<QueueProvisioner>();
        services.TryAddSingleton<IQueueSender, AzureQueueSender>();
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
