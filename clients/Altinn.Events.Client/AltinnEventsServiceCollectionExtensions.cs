using Altinn.Events.Client.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="Altinn.Events.Client.AltinnEventsClient"/>.</summary>
public static class AltinnEventsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="Altinn.Events.Client.AltinnEventsClient"/> as a typed <see cref="HttpClient"/> with the bearer token
    /// on every attempt and retries through Microsoft.Extensions.Http.Resilience where they are safe (GETs, publishing to
    /// <c>/events</c>), honouring <c>Retry-After</c>. The returned builder can add handlers or replace the primary one.
    /// </summary>
    public static IHttpClientBuilder AddAltinnEventsClient(this IServiceCollection services, Action<Altinn.Events.Client.AltinnEventsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<Altinn.Events.Client.AltinnEventsClientOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "AltinnEvents:BaseAddress must be an absolute URL such as https://platform.altinn.no/events/api/v1/.")
            .Validate(o => o.MaxRetries is >= 0 and <= 20, "AltinnEvents:MaxRetries must be from 0 to 20.")
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.TotalTimeout >= o.AttemptTimeout, "AltinnEvents:AttemptTimeout must be positive and at most TotalTimeout.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddTransient(sp => new BearerTokenHandler(
            sp.GetRequiredService<IOptions<Altinn.Events.Client.AltinnEventsClientOptions>>().Value.TokenProvider
            ?? sp.GetService<Altinn.Events.Client.IAccessTokenProvider>()
            ?? throw new InvalidOperationException("Altinn Events needs a token: set AltinnEventsClientOptions.TokenProvider or register an IAccessTokenProvider.")));

        var builder = services.AddHttpClient<Altinn.Events.Client.AltinnEventsClient>((sp, http) =>
        {
            var baseAddress = sp.GetRequiredService<IOptions<Altinn.Events.Client.AltinnEventsClientOptions>>().Value.BaseAddress!;
            http.BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
            http.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline's timeouts apply
        });
        builder.AddResilienceHandler("altinn-events", (pipeline, context) =>
            RetryRules.Configure(pipeline, context.ServiceProvider.GetRequiredService<IOptions<Altinn.Events.Client.AltinnEventsClientOptions>>().Value));
        builder.AddHttpMessageHandler<BearerTokenHandler>();
        return builder;
    }
}
