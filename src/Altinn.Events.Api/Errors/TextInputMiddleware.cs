using Altinn.Events.Core.Input;

namespace Altinn.Events.Api.Errors;

/// <summary>
/// The text rule (<see cref="TextRules"/>) for query strings and the headers the API reads, before any endpoint,
/// database or queue sees them: a control character (NUL included, which PostgreSQL cannot store and answered 500 for),
/// an unpaired surrogate, or more than <see cref="InputLimits.MaxTextBytes"/> bytes in a parameter or such a header is a
/// 400 ValidationProblemDetails naming it.
/// </summary>
internal sealed class TextInputMiddleware(RequestDelegate next)
{
    /// <summary>The request headers endpoints read as text (query filters; the person number of the query endpoints).</summary>
    public static readonly string[] TextHeaders = [Queries.QueryEndpoints.AlternativeSubjectHeader, Queries.QueryRequest.PersonHeader];

    public async Task InvokeAsync(HttpContext context)
    {
        if (FirstProblem(context.Request) is { } problem)
        {
            await Results.ValidationProblem(
                new Dictionary<string, string[]> { [problem.Field] = [problem.Message] },
                title: "The request holds text that is not allowed").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static (string Field, string Message)? FirstProblem(HttpRequest request)
    {
        foreach (var (name, values) in request.Query)
        {
            if (TextRules.Problem(name, "query") is not null)
            {
                return ("query", "A query parameter name holds a control character or an unpaired surrogate, or is too long.");
            }

            foreach (var value in values)
            {
                if (value is not null && TextRules.Problem(value, name) is { } problem)
                {
                    return (name, problem);
                }
            }
        }

        foreach (var header in TextHeaders)
        {
            foreach (var value in request.Headers[header])
            {
                if (value is not null && TextRules.Problem(value, header) is { } problem)
                {
                    return (header, problem);
                }
            }
        }

        return null;
    }
}

internal static class TextInputExtensions
{
    /// <summary>Applies the text rule to query strings and the text headers (<see cref="TextInputMiddleware"/>).</summary>
    public static IApplicationBuilder UseTextInputRules(this IApplicationBuilder app) => app.UseMiddleware<TextInputMiddleware>();
}
