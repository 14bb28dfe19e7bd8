using System.Globalization;
using System.Threading.RateLimiting;
using Altinn.Events.Api.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Limits;

/// <summary>The rate-limited endpoint groups (<see cref="RateLimitOptions"/>).</summary>
internal static class RateLimitPolicies
{
    public const string Publish = "publish";
    public const string Queries = "queries";
    public const string SubscriptionWrites = "subscription-writes";
    public const string Validate = "validate";
    public const string Redeliver = "redeliver";
}

internal static class RateLimitsExtensions
{
    /// <summary>
    /// The framework's rate limiter with one policy per endpoint group, partitioned by caller: a caller over its bucket is
    /// answered 429 ProblemDetails with <c>Retry-After</c> (seconds until a request would be admitted), others go on.
    /// </summary>
    public static IHostApplicationBuilder AddRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            AddPolicy(limiter, RateLimitPolicies.Publish, o => o.Publish);
            AddPolicy(limiter, RateLimitPolicies.Queries, o => o.Queries);
            AddPolicy(limiter, RateLimitPolicies.SubscriptionWrites, o => o.SubscriptionWrites);
            AddPolicy(limiter, RateLimitPolicies.Validate, o => o.Validate);
            AddPolicy(limiter, RateLimitPolicies.Redeliver, o => o.Redeliver);
        });
        return builder;
    }

    /// <summary>Puts the endpoint under <paramref name="policy"/> and declares its 429.</summary>
    public static RouteHandlerBuilder WithRateLimit(this RouteHandlerBuilder endpoint, string policy) =>
        endpoint.RequireRateLimiting(policy).ProducesProblem(StatusCodes.Status429TooManyRequests);

    private static void AddPolicy(RateLimiterOptions limiter, string name, Func<RateLimitOptions, BucketOptions> bucket) =>
        limiter.AddPolicy(name, context =>
        {
            var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            var key = PartitionKey(context);
            if (!options.Enabled)
            {
                return RateLimitPartition.GetNoLimiter(key);
            }

            var limits = bucket(options);
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.Burst,
                TokensPerPeriod = limits.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });

    // The caller the token names; the endpoints are authenticated, so the address is a fallback only.
    private static string PartitionKey(HttpContext context) =>
        context.GetCaller()?.Consumer ?? "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This caller sent more requests to this endpoint than its limit ({RateLimitOptions.SectionName}); try again after {seconds} s (Retry-After).",
            },
        });
    }
}
