using Altinn.Events.Core.Identity;

namespace Altinn.Events.Api.Identity;

internal static class WhoAmIEndpoint
{
    /// <summary><c>GET /events/api/v1/whoami</c>: how the service sees the caller's token; for debugging tokens.</summary>
    public static IEndpointRouteBuilder MapWhoAmI(this IEndpointRouteBuilder api)
    {
        api.MapGet("/whoami", (HttpContext context) =>
            {
                var caller = context.RequireCaller();
                return TypedResults.Ok(new WhoAmIResponse(caller.Kind.ToString(), caller.Consumer, caller.Org, caller.App, caller.PartyId, caller.AuthenticationLevel, [.. caller.Scopes.Order(StringComparer.Ordinal)]));
            })
            .RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().AddRequirements(new CallerKindRequirement(Enum.GetValues<CallerKind>())).Build())
            .WithName("WhoAmI")
            .WithTags("Identity")
            .WithSummary("Shows who the service takes the caller to be")
            .WithDescription("The identity kind, consumer string, org, party, authentication level and scopes read from the bearer token.")
            .Produces<WhoAmIResponse>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return api;
    }
}

/// <summary>The caller as the service sees it.</summary>
public sealed record WhoAmIResponse(string Kind, string Consumer, string? Org, string? App, int? PartyId, int AuthenticationLevel, string[] Scopes);
