using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Altinn.Events.Api.Operations;

/// <summary>The operator token carries the app role in its <c>roles</c> claim.</summary>
public sealed class OperatorRoleRequirement(string role) : IAuthorizationRequirement
{
    public string Role { get; } = role;

    public override string ToString() => $"The token needs the app role {Role} (assign it to the caller in the API's Entra app registration).";
}

internal sealed class OperatorRoleHandler : AuthorizationHandler<OperatorRoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperatorRoleRequirement requirement)
    {
        // The policy authenticates with the operator scheme only, so these are claims of a validated Entra token. With
        // inbound claim mapping on, "roles" arrives as ClaimTypes.Role.
        if (context.User.Claims.Any(c => c.Type is ("roles" or ClaimTypes.Role) && string.Equals(c.Value, requirement.Role, StringComparison.Ordinal)))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
