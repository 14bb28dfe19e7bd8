using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Limits;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.Analytics;

internal static class AnalyticsEndpoints
{
    private const string RangeParameters = "Parameters: from, to (RFC 3339; to defaults to now, from to 7 days before to), interval (hour | day, default day). The range is widened to whole periods of the interval (from rounded down, to up) and may cover at most 31 days by the hour and 92 by the day. Figures come from roll-ups kept up to date by a background aggregator (usually within a second or two of a publish), counted by each event's time, not its arrival.";
    private const string Title = "The analytics request is not valid.";

    public static IEndpointRouteBuilder MapAnalytics(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/analytics").WithTags("Analytics")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapGet("/app/{org}/{app}", GetAppAnalyticsAsync)
            .RequireAuthorization(AuthorizationPolicies.AnyCaller)
            .WithName("GetAppAnalytics")
            .WithSummary("Analytics of one app, for its application owner")
            .WithDescription("For the org that owns the app, as GET /app/{org}/{app}. Events per type per hour or day; instances created and completed, the process funnel (instances reaching each task) and time per task and to completion (p50, p90, from log-spaced histograms: within about 9 %), over the UTC days the range touches. " + RangeParameters)
            .WithRateLimit(RateLimitPolicies.Queries);

        group.MapGet("/resources/{resource}", GetResourceAnalyticsAsync)
            .RequireAuthorization(AuthorizationPolicies.Subscribe)
            .WithName("GetResourceAnalytics")
            .WithSummary("Events per type of a generic resource, for those who may subscribe to all of it")
            .WithDescription("resource is urn:altinn:resource:{id} (not an app: use /analytics/app/{org}/{app}). Needs the scope altinn:events.subscribe and the right to subscribe to the resource's events about every party. " + RangeParameters)
            .WithRateLimit(RateLimitPolicies.Queries);
        return api;
    }

    private static async Task<Results<Ok<AppAnalytics>, ValidationProblem, ProblemResult<Forbidden403>>> GetAppAnalyticsAsync(string org, string app, HttpContext context, AnalyticsService analytics, CancellationToken cancellationToken)
    {
        var caller = context.RequireCaller();
        if (AppOwner.Refusal(caller, org, app, "parties read their own events at /app/party") is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var range = analytics.ParseRange(context.Request.Query, errors);
        if (range is null)
        {
            return Problems.Invalid(errors, Title);
        }

        if (await analytics.AppRefusalAsync(caller, org, app, cancellationToken) is { } denied)
        {
            return Problems.Forbidden(denied);
        }

        return TypedResults.Ok(await analytics.AppAsync(org, app, range, cancellationToken));
    }

    private static async Task<Results<Ok<ResourceAnalytics>, ValidationProblem, ProblemResult<Forbidden403>>> GetResourceAnalyticsAsync(string resource, HttpContext context, AnalyticsService analytics, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!resource.StartsWith(AppResources.ResourcePrefix, StringComparison.Ordinal) || resource.Length == AppResources.ResourcePrefix.Length || resource.Length > 255)
        {
            errors["resource"] = ["resource must be a URN of the form urn:altinn:resource:{id}."];
        }
        else if (AppResources.TryParse(resource, out var org, out var app))
        {
            errors["resource"] = [$"{resource} is an app: its owner reads its analytics at /analytics/app/{org}/{app}."];
        }

        var range = analytics.ParseRange(context.Request.Query, errors);
        if (range is null || errors.Count > 0)
        {
            return Problems.Invalid(errors, Title);
        }

        if (await analytics.ResourceRefusalAsync(context.RequireCaller(), resource, cancellationToken) is { } denied)
        {
            return Problems.Forbidden(denied);
        }

        return TypedResults.Ok(await analytics.ResourceAsync(resource, range, cancellationToken));
    }
}
