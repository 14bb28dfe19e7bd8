using Altinn.Events.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Altinn.Events.Api.Identity;

/// <summary>The caller holds at least one of the scopes.</summary>
public sealed class ScopeRequirement(params string[] anyOf) : IAuthorizationRequirement
{
    public IReadOnlyList<string> AnyOf { get; } = anyOf;

    public override string ToString() => $"The token needs the scope {string.Join(" or ", AnyOf)}.";
}

/// <summary>The caller is one of the kinds (any kind the contract knows when none are given).</summary>
public sealed class CallerKindRequirement(params CallerKind[] kinds) : IAuthorizationRequirement
{
    public IReadOnlyList<CallerKind> Kinds { get; } = kinds;

    public override string ToString() => Kinds.Count == 0
        ? "The token must identify an org, organisation, user or system user."
        : $"Only a caller of kind {string.Join(" or ", Kinds)} may call this endpoint.";
}

internal sealed class CallerRequirementsHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (context.Resource is not HttpContext http || http.GetCaller() is not { } caller)
        {
            return Task.CompletedTask;
        }

        foreach (var requirement in context.PendingRequirements.ToArray())
        {
            var met = requirement switch
            {
                ScopeRequirement scope => scope.AnyOf.Any(caller.HasScope),
                CallerKindRequirement kind => kind.Kinds.Count == 0 ? caller.Kind != CallerKind.App : kind.Kinds.Contains(caller.Kind),
                _ => false,
            };
            if (met)
            {
                context.Succeed(requirement);
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>401 and 403 as ProblemDetails that say what was missing.</summary>
internal sealed class ProblemDetailsAuthorizationResultHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        // A policy that names its schemes (the operator API) challenges and forbids with those, not the default.
        IReadOnlyList<string?> schemes = policy.AuthenticationSchemes.Count > 0 ? [.. policy.AuthenticationSchemes] : [null];
        if (authorizeResult.Challenged)
        {
            foreach (var scheme in schemes)
            {
                await context.ChallengeAsync(scheme);
            }

            await WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", "A valid bearer token from a trusted issuer is required.");
            return;
        }

        string detail;
        if (policy.AuthenticationSchemes.Count > 0)
        {
            var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.FirstOrDefault();
            detail = failed?.ToString() ?? "The caller may not call this endpoint.";
        }
        else if (context.GetCaller() is null)
        {
            detail = context.Items[CallerContext.RejectionKey] as string ?? "The token does not identify a caller.";
        }
        else
        {
            var failed = authorizeResult.AuthorizationFailure?.FailedRequirements.FirstOrDefault();
            detail = failed?.ToString() ?? "The caller may not call this endpoint.";
        }

        foreach (var scheme in schemes)
        {
            await context.ForbidAsync(scheme);
        }

        await WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", detail);
    }

    private async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
