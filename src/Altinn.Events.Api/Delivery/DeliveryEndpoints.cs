using System.Globalization;
using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Limits;
using Altinn.Events.Api.Links;
using Altinn.Events.Api.Subscriptions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.Delivery;

internal static class DeliveryEndpoints
{
    private const int DefaultSize = 50;
    private const int MaxSize = 1000;

    public static IEndpointRouteBuilder MapDelivery(this IEndpointRouteBuilder api)
    {
        var group = api.MapOwnedSubscription();

        group.MapGet("/deliveries", ListAsync)
            .WithName("ListSubscriptionDeliveries")
            .WithSummary("The delivery log of one of the caller's subscriptions: every push attempt, newest first")
            .WithDescription("Parameters: size (default 50, at most 1000), cursor (from the previous page's 'next'). Each attempt has the event id and sequence number, the attempt number, when, the status code or the transport error, the duration and the outcome (delivered, retry, failed, gone). The 'next' header and field hold the URL of the following, older page; none when this page is the last. Attempts are kept as long as events.")
            .WithRateLimit(RateLimitPolicies.Queries);

        group.MapPost("/redeliver", RedeliverAsync)
            .WithName("RedeliverSubscription")
            .WithSummary("Pushes the subscription's retained events again, from an event id or a time")
            .WithDescription("Body {\"after\": \"<event id>\"}, {\"from\": \"<RFC 3339 time>\"} or {\"cursor\": \"<from an earlier answer>\"}. Queues the events after that point that the subscription's filters match and its consumer may still see, as new deliveries (attempt 1, a webhook-id of their own: {subscription}:{seq}:{n} for the n-th redelivery), at most Redelivery:MaxEvents per call and Redelivery:MaxScanned examined; 202 says how many were queued, the last one's id, and when the cap stopped it a cursor to continue from. An 'after' id that several events share counts from the earliest the consumer may see. The subscription must be validated (409 otherwise).")
            .Accepts<RedeliveryRequest>("application/json")
            .WithRateLimit(RateLimitPolicies.Redeliver);
        return api;
    }

    private static async Task<Results<Ok<DeliveryLogPage>, ValidationProblem>> ListAsync(Guid id, HttpContext context, DeliveryService deliveries, PublicLinks links, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var size = DefaultSize;
        if (query.TryGetValue("size", out var sizeText)
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size < 1))
        {
            return Problems.Invalid("size", $"size must be a whole number from 1 (at most {MaxSize} are returned).");
        }

        (DateTimeOffset At, long Id)? before = null;
        if (query.TryGetValue("cursor", out var cursorText))
        {
            before = DeliveryService.DecodeCursor(cursorText.ToString());
            if (before is null)
            {
                return Problems.Invalid("cursor", "cursor must be the value from a previous page's 'next' URL.");
            }
        }

        var page = await deliveries.PageAsync(id, before, Math.Min(size, MaxSize), cancellationToken);
        string? next = null;
        if (page.Count == Math.Min(size, MaxSize))
        {
            next = links.ForThisRequest(context.Request, new Dictionary<string, string> { ["cursor"] = DeliveryService.EncodeCursor(page[^1]) });
            context.Response.Headers["next"] = next;
        }

        return TypedResults.Ok(new DeliveryLogPage([.. page.Select(DeliveryAttemptResponse.From)], next));
    }

    private static async Task<Results<Accepted<RedeliveryResponse>, ValidationProblem, JsonBodyProblem, ProblemResult<Conflict409>>> RedeliverAsync(
        Guid id, HttpContext context, DeliveryService deliveries, CancellationToken cancellationToken)
    {
        var (request, error) = await JsonBody.ReadAsync<RedeliveryRequest>(context.Request, Problems.InvalidRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var result = await deliveries.RedeliverAsync(context.OwnedSubscription(), request!, cancellationToken);
        return result switch
        {
            RedeliveryResult.Invalid invalid => Problems.Invalid(invalid.Field, invalid.Message),
            RedeliveryResult.NotValidated notValidated => OwnedSubscriptions.NotValidated(id, notValidated.Status),
            RedeliveryResult.Queued queued => TypedResults.Accepted((string?)null, queued.Response),
            _ => throw new InvalidOperationException($"Unhandled result {result}."),
        };
    }
}
