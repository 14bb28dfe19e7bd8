using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Altinn.Events.Client.Http;

/// <summary>
/// Which requests may be sent again. GETs read only. A publish to <c>/events</c> is keyed by publisher, resource, source
/// and id, and the service answers a re-publish of the same content 200 without storing anything, so repeating it is
/// safe (the request carries <see cref="Idempotent"/>); so is a <c>PATCH</c>, a JSON merge patch. Nothing else is retried: <c>POST /app</c> gets a new id from the
/// service on each call, creating a subscription twice could make two, and a repeated delete or rotation would answer
/// 404 or change the secret again. Transient outcomes are 408, 429, 5xx, connection failures and attempt timeouts;
/// a <c>Retry-After</c> on the answer sets the delay.
/// </summary>
internal static class RetryRules
{
    /// <summary>Marks a request as safe to repeat although its method is not.</summary>
    public static readonly HttpRequestOptionsKey<bool> Idempotent = new("Altinn.Events.Client.Idempotent");

    public static bool MayRetry(HttpRequestMessage? request) =>
        request is not null
        && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
            || (request.Options.TryGetValue(Idempotent, out var idempotent) && idempotent));

    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, AltinnEventsClientOptions options)
    {
        pipeline.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(
                    MayRetry(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
            });
        }

        pipeline.AddTimeout(options.AttemptTimeout);
    }
}
