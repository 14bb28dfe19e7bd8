using Altinn.Events.Core.Authorization;
using Microsoft.AspNetCore.Diagnostics;

namespace Altinn.Events.Api.Errors;

/// <summary>A decision point outage is a 503 the client can retry, never a permit and never an empty answer.</summary>
internal sealed class AuthorizationUnavailableHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not AuthorizationUnavailableException)
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
                Title = "Authorization is unavailable",
                Detail = "The authorization service could not decide; nothing was stored or returned. Try again shortly.",
            },
        });
    }
}
