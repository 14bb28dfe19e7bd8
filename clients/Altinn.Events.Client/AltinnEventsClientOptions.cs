namespace Altinn.Events.Client;

/// <summary>Settings of <see cref="AltinnEventsClient"/> (section <c>AltinnEvents</c> when bound from configuration).</summary>
public sealed class AltinnEventsClientOptions
{
    /// <summary>The API's base address, e.g. <c>https://platform.altinn.no/events/api/v1/</c> or, locally, <c>http://127.0.0.1:5080/events/api/v1/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The bearer token source; when null, an <see cref="IAccessTokenProvider"/> registered in the service provider is used.</summary>
    public IAccessTokenProvider? TokenProvider { get; set; }

    /// <summary>Retries of a request that is safe to repeat (GETs, and publishing to <c>/events</c>, which the service de-duplicates); 0 turns retries off.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay (doubling, with jitter) when the answer has no <c>Retry-After</c>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request may take with all its retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);
}
