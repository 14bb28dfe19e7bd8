using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.Endpoints;

/// <summary>
/// The problem answers every feature gives, worded once: a 400 naming the field, 403, 404, 409, 413, 415 and 503. Each
/// returns a type that declares its status (<see cref="ProblemResult{TStatus}"/>), for <c>Results&lt;...&gt;</c> unions.
/// </summary>
internal static class Problems
{
    /// <summary>The title of a 400 about a request that is not about one kind of thing in particular.</summary>
    public const string InvalidRequest = "The request is not valid.";

    public static ValidationProblem Invalid(string field, string message, string title = InvalidRequest) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: title);

    public static ValidationProblem Invalid(IEnumerable<KeyValuePair<string, string[]>> errors, string title = InvalidRequest) =>
        TypedResults.ValidationProblem(errors, title: title);

    public static ProblemResult<Forbidden403> Forbidden(string detail) => new(detail, "Forbidden");

    public static ProblemResult<NotFound404> NotFound(string detail, string title = "Not found") => new(detail, title);

    public static ProblemResult<Conflict409> Conflict(string detail, string title) => new(detail, title);

    public static ProblemResult<TooLarge413> TooLarge(string detail) => new(detail, "Too large");

    public static ProblemResult<UnsupportedMediaType415> UnsupportedMediaType(string detail) => new(detail, "Unsupported content type");

    public static ProblemResult<ServiceUnavailable503> Unavailable(string detail, string title) => new(detail, title);
}
