using Altinn.Events.Core.Authorization;
using Microsoft.AspNetCore.Diagnostics;

namespace Altinn.Events.Api.Errors;

/// <summary>
/// A decision point or register outage is a 503 the client can retry, never a permit and never an empty answer. The API's
/// only outgoing HTTP calls go to the PDP and the register, so an <see cref="HttpRequestException"/> here is one of those.
/// </summary>
internal sealed class DependencyUnavailableHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (AuthorizationUnavailableException or HttpRequestException))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = exception is AuthorizationUnavailableException ? "Authorization is unavailable" : "The register is unavailable",
                Detail = exception is AuthorizationUnavailableException
                    ? "The authorization service could not decide; nothing was stored or returned. Try again shortly."
                    : "A party lookup in the register failed; nothing was stored or returned. Try again shortly.",
            },
        });
    }
}
