using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Altinn.Events.Core.Subscriptions;

public static class SubscriptionOptionsExtensions
{
    /// <summary>
    /// Binds <see cref="SubscriptionOptions"/> from <c>Subscriptions</c>, validated at start: no http loopback in Production,
    /// and Production pushes to port 443 only unless ports are configured. Every feature that reads them calls it (the API's
    /// subscriptions, the validation and outbound stages); the webhook client only consumes them.
    /// </summary>
    public static IServiceCollection AddSubscriptionOptions(this IServiceCollection services)
    {
        // Several features of one host read them: bind once (return when the marker it owns is already registered).
        if (services.Any(d => d.ServiceType == typeof(SubscriptionOptionsRegistered)))
        {
            return services;
        }

        services.AddSingleton<SubscriptionOptionsRegistered>();
        services.AddOptions<SubscriptionOptions>()
            .BindConfiguration(SubscriptionOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate<IHostEnvironment>(
                (o, environment) => !o.AllowHttpLoopback || !environment.IsProduction(),
                "Subscriptions:AllowHttpLoopback must be false in Production: webhooks there are https to public addresses only.")
            .PostConfigure<IHostEnvironment>((o, environment) =>
            {
                // Production pushes to the https port only, unless ports are configured.
                if (o.AllowedPorts.Count == 0 && environment.IsProduction())
                {
                    o.AllowedPorts.Add(443);
                }
            })
            .ValidateOnStart();
        return services;
    }

    /// <summary>Marks that <see cref="AddSubscriptionOptions"/> has run.</summary>
    private sealed class SubscriptionOptionsRegistered;
}
