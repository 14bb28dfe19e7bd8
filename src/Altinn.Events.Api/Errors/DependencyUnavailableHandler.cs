using Altinn.Events.Core.Resilience;
using Altinn.Events.Messaging;
using Microsoft.AspNetCore.Diagnostics;

namespace Altinn.Events.Api.Errors;

/// <summary>
/// An outage of a dependency (PostgreSQL, the PDP, the register, the queues: the rule is <see cref="DependencyFailures"/>)
/// is a 503 with <c>Retry-After</c> the client can retry, never a 500, never a permit and never an empty answer. A publish
/// that got a 503 may or may not have been stored; publishing it again is safe, since events are de-duplicated by
/// (id, source).
/// </summary>
internal sealed partial class DependencyUnavailableHandler(IProblemDetailsService problems, ILogger<DependencyUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (DependencyFailures.Classify(exception) is not { } dependency)
        {
            return false;
        }

        LogUnavailable(logger, exception, dependency.ToString(), httpContext.Request.Method, httpContext.Request.Path);
        var (title, detail) = dependency switch
        {
            Dependency.Authorization => ("Authorization is unavailable", "The authorization service could not decide; nothing was returned. Try again shortly."),
            Dependency.Database => ("The event store is unavailable", "The database could not be reached; try again shortly. Publishing again is safe: events are stored once per id and source."),
            Dependency.Queues => ("The queues are unavailable", "The storage queues could not be reached; try again shortly."),
            _ => ("A dependency is unavailable", "A service this request needs (such as the register) could not be reached; nothing was returned. Try again shortly."),
        };

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = title,
                Detail = detail,
            },
        });
    }

    [LoggerMessage(LogEventIds.Unavailable, LogLevel.Warning, "{Dependency} is unavailable; {Method} {Path} answered 503")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string dependency, string method, PathString path);
}
