using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Identity;
using Altinn.Events.Api.Links;
using Altinn.Events.Persistence.Subscriptions;

namespace Altinn.Events.Api.Subscriptions;

/// <summary>
/// The <c>/subscriptions/{id}</c> routes of every feature (subscriptions, delivery, subscriber tools) share one group
/// shape: any caller the contract knows, and an ownership filter that answers 404 for a subscription that does not exist
/// and 403 for another consumer's before the handler runs. Handlers read the subscription with <see cref="OwnedSubscription"/>.
/// </summary>
internal static class OwnedSubscriptions
{
    private static readonly object Key = new();

    /// <summary>A group for <c>/subscriptions/{id}</c> and below, its routes reached only by the subscription's owner.</summary>
    public static RouteGroupBuilder MapOwnedSubscription(this IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/subscriptions/{id:guid}").RequireAuthorization(AuthorizationPolicies.AnyCaller).WithTags("Subscriptions");
        group.AddEndpointFilter(OwnerOnlyAsync)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    /// <summary>The subscription the ownership filter loaded for this request.</summary>
    public static Subscription OwnedSubscription(this HttpContext context) =>
        context.Items[Key] as Subscription ?? throw new InvalidOperationException("The route is not in a MapOwnedSubscription group.");

    /// <summary>404 for a subscription that is not there (or was deleted while the request ran).</summary>
    public static ProblemResult<NotFound404> NotFound(Guid id) => Problems.NotFound($"There is no subscription {id}.");

    /// <summary>409 for an operation that pushes events to a subscription that is not validated.</summary>
    public static ProblemResult<Conflict409> NotValidated(Guid id, string status) => Problems.Conflict(
        $"Subscription {id} is {status}; only validated subscriptions receive events. Validate it again first (POST /subscriptions/{id}/validate).",
        "Subscription not validated");

    /// <summary>The subscription's URL, as <c>Location</c> headers name it.</summary>
    public static string Location(HttpContext context, Guid id) =>
        context.RequestServices.GetRequiredService<PublicLinks>().For(context.Request, $"{EventsApi.BasePath}/subscriptions/{id}");

    private static async ValueTask<object?> OwnerOnlyAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var id = Guid.Parse(context.Request.RouteValues["id"]!.ToString()!);
        var service = context.RequestServices.GetRequiredService<SubscriptionService>();
        var (ownership, subscription) = await service.GetOwnedAsync(context.RequireCaller(), id, context.RequestAborted);
        switch (ownership)
        {
            case Ownership.NotFound:
                return NotFound(id);
            case Ownership.NotOwner:
                return Problems.Forbidden($"Subscription {id} belongs to another consumer; only the consumer that created it may see or change it.");
            default:
                context.Items[Key] = subscription;
                return await next(invocation);
        }
    }
}
