using Altinn.Events.Authorization.Caching;
using Altinn.Events.Authorization.Embedded;
using Altinn.Events.Authorization.Register;
using Altinn.Events.Authorization.Remote;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Register;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Altinn.Events.Authorization;

public static class AuthorizationExtensions
{
    /// <summary>Upper bound on cached decisions, so a burst of distinct requests cannot grow the cache without limit.</summary>
    private const long DecisionCacheEntries = 200_000;

    private const string HttpAuthorizedPartiesClient = "authorized-parties";

    /// <summary>
    /// Registers <see cref="IAuthorizationDecider"/> (embedded XACML PDP or the platform's PDP, by
    /// <c>Authorization:Pdp:Mode</c>, behind a decision cache) and <see cref="IPartyRegister"/> (local table or remote,
    /// by <c>Register:Mode</c>). Settings are validated at start. The embedded modes read the local tables through
    /// <see cref="IRoleStore"/>, <see cref="IPartyRegister"/> and <see cref="IAuthorizedParties"/>, which the host registers
    /// (Persistence's <c>AddLocalRegister</c>); start fails when they are missing.
    /// </summary>
    public static IHostApplicationBuilder AddEventsAuthorization(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        // Several stages of one host need it; the first registration serves them all.
        if (services.Any(s => s.ServiceType == typeof(AuthorizationRegistered)))
        {
            return builder;
        }

        services.AddSingleton<AuthorizationRegistered>();
        services.AddOptions<AuthorizationOptions>().BindConfiguration(AuthorizationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RegisterOptions>().BindConfiguration(RegisterOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PlatformOptions>().BindConfiguration(PlatformOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PlatformCredential>();
        services.TryAddTransient<PlatformAuthenticationHandler>();

        // The mode decides which services exist, so it is read here; a bad value fails at start like any other setting.
        var pdpMode = ReadMode(builder.Configuration, "Authorization:Pdp:Mode");
        var registerMode = ReadMode(builder.Configuration, "Register:Mode");

        if (pdpMode == ServiceMode.Remote)
        {
            services.AddHttpClient(RemoteDecider.HttpClientName, (sp, client) =>
                {
                    var endpoint = sp.GetRequiredService<IOptions<AuthorizationOptions>>().Value.Pdp.Endpoint;
                    client.BaseAddress = new Uri(endpoint!, UriKind.Absolute);
                    client.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline times out
                })
                .AddHttpMessageHandler<PlatformAuthenticationHandler>()
                .AddResilienceHandler("pdp", (pipeline, context) =>
                    AddResilience(pipeline, context.ServiceProvider.GetRequiredService<IOptions<AuthorizationOptions>>().Value.Pdp.Resilience));
            services.TryAddSingleton<RemoteDecider>();
            services.TryAddSingleton<IAuthorizationDecider>(sp => WithCache(sp, sp.GetRequiredService<RemoteDecider>()));
        }
        else
        {
            services.AddPolicyDecisionPoint();
            services.TryAddSingleton<PolicyStore>();
            services.AddOptions<AuthorizationOptions>().Validate<IServiceProviderIsService>(
                (_, registered) => registered.IsService(typeof(IRoleStore)),
                $"Authorization:Pdp:Mode Embedded reads roles from an {nameof(IRoleStore)}; the host registers the local tables (AddLocalRegister).");
            services.TryAddSingleton<EmbeddedDecider>();
            services.TryAddSingleton<IAuthorizationDecider>(sp => WithCache(sp, sp.GetRequiredService<EmbeddedDecider>()));
        }

        if (registerMode == ServiceMode.Remote)
        {
            services.AddHttpClient<HttpPartyRegister>((sp, client) =>
                {
                    var baseUrl = sp.GetRequiredService<IOptions<RegisterOptions>>().Value.BaseUrl!;
                    client.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute);
                    client.Timeout = Timeout.InfiniteTimeSpan;
                })
                .AddHttpMessageHandler<PlatformAuthenticationHandler>()
                .AddResilienceHandler("register", (pipeline, context) =>
                    AddResilience(pipeline, context.ServiceProvider.GetRequiredService<IOptions<RegisterOptions>>().Value.Resilience));
            // Replace, not TryAdd: the host registers the local tables too (AddLocalRegister), before or after this.
            services.Replace(ServiceDescriptor.Transient<IPartyRegister>(sp => sp.GetRequiredService<HttpPartyRegister>()));

            // A singleton (its cache lives with it) over the register's named client and its resilience.
            services.AddHttpClient(HttpAuthorizedPartiesClient, (sp, client) =>
                {
                    var baseUrl = sp.GetRequiredService<IOptions<RegisterOptions>>().Value.BaseUrl!;
                    client.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute);
                    client.Timeout = Timeout.InfiniteTimeSpan;
                })
                .AddHttpMessageHandler<PlatformAuthenticationHandler>()
                .AddResilienceHandler("authorized-parties", (pipeline, context) =>
                    AddResilience(pipeline, context.ServiceProvider.GetRequiredService<IOptions<RegisterOptions>>().Value.Resilience));
            services.Replace(ServiceDescriptor.Singleton<IAuthorizedParties>(sp => ActivatorUtilities.CreateInstance<HttpAuthorizedParties>(
                sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpAuthorizedPartiesClient))));
        }
        else
        {
            services.AddOptions<RegisterOptions>().Validate<IServiceProviderIsService>(
                (_, registered) => registered.IsService(typeof(IPartyRegister)) && registered.IsService(typeof(IAuthorizedParties)),
                $"Register:Mode Embedded reads the local tables through {nameof(IPartyRegister)} and {nameof(IAuthorizedParties)}; the host registers them (AddLocalRegister).");
        }

        return builder;
    }

    private static IAuthorizationDecider WithCache(IServiceProvider services, IAuthorizationDecider inner)
    {
        var seconds = services.GetRequiredService<IOptions<AuthorizationOptions>>().Value.DecisionCacheSeconds;
        if (seconds == 0)
        {
            return inner;
        }

#pragma warning disable CA2000 // one cache for the process lifetime, owned by the singleton decider
        var cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = DecisionCacheEntries });
#pragma warning restore CA2000
        return new CachingDecider(inner, cache, TimeSpan.FromSeconds(seconds));
    }

    private static void AddResilience(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, HttpResilienceSettings settings)
    {
        // Outermost first: a budget for the whole call, then retries of transient failures (5xx, 408, 429,
        // network errors, attempt timeouts), then a timeout per attempt. Decisions and lookups are idempotent.
        pipeline.AddTimeout(settings.TotalTimeout);
        if (settings.MaxRetries > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = settings.MaxRetries,
                Delay = settings.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        pipeline.AddTimeout(settings.AttemptTimeout);
    }

    private static ServiceMode ReadMode(IConfiguration configuration, string key)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return ServiceMode.Embedded;
        }

        return Enum.TryParse<ServiceMode>(value, ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new OptionsValidationException(key, typeof(ServiceMode), [$"{key} must be Embedded or Remote, not '{value}'."]);
    }

    /// <summary>Marks that <see cref="AddEventsAuthorization"/> has run.</summary>
    private sealed class AuthorizationRegistered;
}
