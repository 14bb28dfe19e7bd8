using System.Globalization;
using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Limits;
using Altinn.Events.Api.Subscriptions;
using Altinn.Events.Core.Delivery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.SubscriberTools;

/// <summary>Self-service helpers for a subscription's owner: a test event, and the delivery log counted per hour.</summary>
internal static class SubscriberToolsEndpoints
{
    private const int DefaultHours = 24;
    private const int MaxHours = 168;

    public static IEndpointRouteBuilder MapSubscriberTools(this IEndpointRouteBuilder api)
    {
        var group = api.MapOwnedSubscription();

        group.MapPost("/test-event", SendTestEventAsync)
            .WithName("SendSubscriptionTestEvent")
            .WithSummary("Pushes a test event to the subscription's endpoint")
            .WithDescription($"Queues one CloudEvent of type {TestEvents.Type} (resource {TestEvents.Resource}, no subject, data with the subscription id) for this subscription only, through the real outbound path: it is signed and pushed like any event and its attempt appears in the delivery log under the returned event id. A first push that fails is not retried (no one may read the test resource, so the retry's authorization check skips it). Owner only; the subscription must be validated (409 otherwise).")
            .WithRateLimit(RateLimitPolicies.SubscriptionWrites);

        group.MapGet("/deliveries/hourly", HourlyAsync)
            .WithName("GetSubscriptionDeliveryStats")
            .WithSummary("Push attempts of one of the caller's subscriptions per hour, by outcome")
            .WithDescription($"Parameter hours (default {DefaultHours}, at most {MaxHours}): the window, ending with the current hour. One bucket per hour (UTC), oldest first, with the attempts that were delivered, retry, failed, gone and gaveup.")
            .WithRateLimit(RateLimitPolicies.Queries);
        return api;
    }

    private static async Task<Results<Accepted<TestEventResponse>, ProblemResult<Conflict409>>> SendTestEventAsync(Guid id, HttpContext context, TestEventService testEvents, CancellationToken cancellationToken) =>
        await testEvents.SendAsync(context.OwnedSubscription(), cancellationToken) switch
        {
            TestEventResult.NotValidated notValidated => OwnedSubscriptions.NotValidated(id, notValidated.Status),
            TestEventResult.Queued queued => TypedResults.Accepted((string?)null, queued.Response),
            var other => throw new InvalidOperationException($"Unhandled result {other}."),
        };

    private static async Task<Results<Ok<DeliveryStatsResponse>, ValidationProblem>> HourlyAsync(Guid id, HttpContext context, DeliveryStatsStore stats, TimeProvider time, CancellationToken cancellationToken)
    {
        var hours = DefaultHours;
        if (context.Request.Query.TryGetValue("hours", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out hours) || hours < 1 || hours > MaxHours))
        {
            return Problems.Invalid("hours", $"hours must be a whole number from 1 to {MaxHours}.");
        }

        var now = time.GetUtcNow();
        var currentHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var first = currentHour.AddHours(1 - hours);
        var counts = (await stats.HourlyAsync(id, first, cancellationToken)).ToLookup(c => c.Hour);
        var buckets = Enumerable.Range(0, hours).Select(i =>
        {
            var hour = first.AddHours(i);
            int Count(string outcome) => counts[hour].Where(c => c.Outcome == outcome).Sum(c => c.Count);
            return new HourlyDeliveries(hour, Count(AttemptOutcome.Delivered), Count(AttemptOutcome.Retry), Count(AttemptOutcome.Failed), Count(AttemptOutcome.Gone), Count(AttemptOutcome.GaveUp));
        }).ToList();
        return TypedResults.Ok(new DeliveryStatsResponse(hours, buckets));
    }
}
