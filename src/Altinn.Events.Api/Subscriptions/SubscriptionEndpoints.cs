using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Limits;
using Altinn.Events.Persistence.Delivery;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.Subscriptions;

internal static class SubscriptionEndpoints
{
    public static IEndpointRouteBuilder MapSubscriptions(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/subscriptions").RequireAuthorization(AuthorizationPolicies.AnyCaller).WithTags("Subscriptions")
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapPost("/", CreateAsync)
            .WithName("CreateSubscription")
            .WithSummary("Subscribes a webhook to events")
            .WithDescription("201 with the subscription and its signing secret (shown this once). An identical subscription of the same consumer (every field the same) is returned instead of a duplicate, also with 201 and its Location, but without the secret. The subscription receives events once its endpoint is validated: by default it must answer the validation event with a 2xx; with validationMethod options it must answer the CloudEvents webhook handshake (OPTIONS with WebHook-Request-Origin) with a 2xx and WebHook-Allowed-Origin naming that origin or *, and a WebHook-Allowed-Rate it returns (requests per minute) becomes its push rate (allowedRate). contentMode structured (default), binary, or batched: waiting events go as one application/cloudevents-batch+json array per request, up to batchMaxEvents (1-1000, default 100) events and batchMaxBytes (1024-4194304, default 262144) bytes, signed once over the body.")
            .Accepts<SubscriptionRequest>("application/json")
            .WithRateLimit(RateLimitPolicies.SubscriptionWrites);

        group.MapGet("/", ListAsync)
            .WithName("ListSubscriptions")
            .WithSummary("Lists the caller's subscriptions")
            .ProducesProblem(StatusCodes.Status403Forbidden);

        var owned = api.MapOwnedSubscription();
        owned.MapGet("", Get)
            .WithName("GetSubscription")
            .WithSummary("Gets one of the caller's subscriptions, with its validation status");

        owned.MapDelete("", DeleteAsync)
            .WithName("DeleteSubscription")
            .WithSummary("Deletes one of the caller's subscriptions")
            .WithDescription("200 with the subscription as it was when it was deleted (without its secret). Deliveries not yet pushed are not pushed.")
            .WithRateLimit(RateLimitPolicies.SubscriptionWrites);

        owned.MapPatch("", PatchAsync)
            .WithName("UpdateSubscription")
            .WithSummary("Changes one of the caller's subscriptions: filters, endpoint, content mode, validation method, paused or not")
            .WithDescription("A JSON merge patch: members left out are unchanged, null sets one back to its default. A new endPoint or validationMethod makes the subscription pending until the endpoint is validated again. enabled false pauses it: its deliveries wait; enabled true resumes it: they are pushed, oldest first. The resource, source and subject filters cannot be changed.")
            .Accepts<SubscriptionPatch>("application/json", "application/merge-patch+json")
            .WithRateLimit(RateLimitPolicies.SubscriptionWrites);

        owned.MapPost("/secret", RotateSecretAsync)
            .WithName("RotateSubscriptionSecret")
            .WithSummary("Replaces the subscription's signing secret")
            .WithDescription("Returns the new secret this once; requests are signed with it from now on.")
            .WithRateLimit(RateLimitPolicies.SubscriptionWrites);

        owned.MapPost("/validate", ValidateAsync)
            .WithName("ValidateSubscription")
            .WithSummary("Starts validation of the subscription's endpoint again")
            .WithDescription("The subscription becomes pending and its endpoint is validated again (the validation event, or the OPTIONS handshake for validationMethod options), with the full retry schedule.")
            .WithRateLimit(RateLimitPolicies.Validate);
        return api;
    }

    private static async Task<Results<Created<SubscriptionResponse>, ValidationProblem, JsonBodyProblem, ProblemResult<Forbidden403>, ProblemResult<Conflict409>>> CreateAsync(
        HttpContext context, SubscriptionService service, CancellationToken cancellationToken)
    {
        const string Title = "The subscription is not valid.";
        var (request, error) = await JsonBody.ReadAsync<SubscriptionRequest>(context.Request, Title, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var result = await service.CreateAsync(context.RequireCaller(), request!.ToInput(), cancellationToken);
        return result switch
        {
            CreateResult.Invalid invalid => Problems.Invalid(invalid.Errors, Title),
            CreateResult.Denied denied => Problems.Forbidden(denied.Detail),
            CreateResult.LimitReached limit => Problems.Conflict(
                $"{limit.Consumer} already has {limit.Max} subscriptions, the most one consumer may have (Subscriptions:MaxPerConsumer). Delete one first.",
                "Too many subscriptions"),
            CreateResult.Created created => TypedResults.Created(OwnedSubscriptions.Location(context, created.Subscription.Id), SubscriptionResponse.From(created.Subscription, withSecret: true)),
            CreateResult.Existing existing => TypedResults.Created(OwnedSubscriptions.Location(context, existing.Subscription.Id), SubscriptionResponse.From(existing.Subscription)),
            _ => throw new InvalidOperationException($"Unhandled result {result}."),
        };
    }

    private static async Task<Ok<SubscriptionList>> ListAsync(HttpContext context, SubscriptionService service, CancellationToken cancellationToken)
    {
        var subscriptions = await service.ListAsync(context.RequireCaller(), cancellationToken);
        return TypedResults.Ok(new SubscriptionList(subscriptions.Count, [.. subscriptions.Select(s => SubscriptionResponse.From(s))]));
    }

    private static async Task<Ok<SubscriptionResponse>> Get(Guid id, HttpContext context, DeliverySchedule deliveries, CancellationToken cancellationToken)
    {
        var health = await deliveries.HealthAsync(id, cancellationToken);
        return TypedResults.Ok(SubscriptionResponse.From(context.OwnedSubscription()) with { EndpointHealth = health is null ? null : EndpointHealthResponse.From(health) });
    }

    private static async Task<Results<Ok<SubscriptionResponse>, ProblemResult<NotFound404>>> DeleteAsync(Guid id, HttpContext context, SubscriptionService service, CancellationToken cancellationToken) =>
        await service.DeleteAsync(id, cancellationToken) ? TypedResults.Ok(SubscriptionResponse.From(context.OwnedSubscription())) : OwnedSubscriptions.NotFound(id);

    private static async Task<Results<Ok<SubscriptionResponse>, ValidationProblem, JsonBodyProblem, ProblemResult<Forbidden403>, ProblemResult<NotFound404>>> PatchAsync(
        Guid id, HttpContext context, SubscriptionService service, CancellationToken cancellationToken)
    {
        const string Title = "The change is not valid.";
        if (MediaTypeOf(context.Request) == "application/merge-patch+json")
        {
            context.Request.ContentType = "application/json";
        }

        var (body, error) = await JsonBody.ReadAsync<JsonObject>(context.Request, Title, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var unknown = body!.Select(p => p.Key).Where(k => !SubscriptionPatch.Members.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            return Problems.Invalid(
                unknown.ToDictionary(k => k, k => new[] { $"'{k}' cannot be changed: only {string.Join(", ", SubscriptionPatch.Members)} can. Create a new subscription for other filters." }),
                Title);
        }

        var (patch, invalid) = JsonBody.Convert<SubscriptionPatch>(body!, Title);
        if (invalid is not null)
        {
            return invalid;
        }

        var result = await service.PatchAsync(context.RequireCaller(), context.OwnedSubscription(), patch!, body!.Select(p => p.Key).ToHashSet(StringComparer.Ordinal), cancellationToken);
        return result switch
        {
            PatchResult.Invalid i => Problems.Invalid(i.Errors, Title),
            PatchResult.Denied d => Problems.Forbidden(d.Detail),
            PatchResult.Changed c => TypedResults.Ok(SubscriptionResponse.From(c.Subscription)),
            PatchResult.Gone => OwnedSubscriptions.NotFound(id),
            _ => throw new InvalidOperationException($"Unhandled result {result}."),
        };
    }

    private static string? MediaTypeOf(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var value) ? value.MediaType.Value?.ToLowerInvariant() : null;

    private static async Task<Results<Ok<SecretResponse>, ProblemResult<NotFound404>>> RotateSecretAsync(Guid id, SubscriptionService service, CancellationToken cancellationToken) =>
        await service.RotateSecretAsync(id, cancellationToken) is { } secret ? TypedResults.Ok(new SecretResponse(id, secret)) : OwnedSubscriptions.NotFound(id);

    private static async Task<Results<Accepted<SubscriptionResponse>, ProblemResult<NotFound404>>> ValidateAsync(Guid id, HttpContext context, SubscriptionService service, CancellationToken cancellationToken) =>
        await service.RestartValidationAsync(id, cancellationToken) is { } restarted
            ? TypedResults.Accepted(OwnedSubscriptions.Location(context, id), SubscriptionResponse.From(restarted))
            : OwnedSubscriptions.NotFound(id);
}
