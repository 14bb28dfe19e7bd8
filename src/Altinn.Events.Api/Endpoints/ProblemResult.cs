using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Altinn.Events.Api.Endpoints;

/// <summary>A status code a <see cref="ProblemResult{TStatus}"/> answers with.</summary>
internal interface IProblemStatus
{
    static abstract int StatusCode { get; }
}

internal sealed class Forbidden403 : IProblemStatus
{
    public static int StatusCode => StatusCodes.Status403Forbidden;
}

internal sealed class NotFound404 : IProblemStatus
{
    public static int StatusCode => StatusCodes.Status404NotFound;
}

internal sealed class Conflict409 : IProblemStatus
{
    public static int StatusCode => StatusCodes.Status409Conflict;
}

internal sealed class TooLarge413 : IProblemStatus
{
    public static int StatusCode => StatusCodes.Status413PayloadTooLarge;
}

internal sealed class UnsupportedMediaType415 : IProblemStatus
{
    public static int StatusCode => StatusCodes.Status415UnsupportedMediaType;
}

internal sealed class ServiceUnavailable503 : IProblemStatus
{
    public static int StatusCode => StatusCodes.Status503ServiceUnavailable;
}

/// <summary>
/// A ProblemDetails answer whose status is part of its type, so a handler returning <c>Results&lt;..., ProblemResult&lt;NotFound404&gt;&gt;</c>
/// declares the response in its signature and the OpenAPI document comes from the code (a <see cref="ProblemHttpResult"/>
/// carries its status only at run time). Made by <see cref="Problems"/>.
/// </summary>
internal sealed class ProblemResult<TStatus> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IContentTypeHttpResult
    where TStatus : IProblemStatus
{
    private readonly ProblemHttpResult inner;

    internal ProblemResult(string detail, string title) => inner = TypedResults.Problem(detail, statusCode: TStatus.StatusCode, title: title);

    public int? StatusCode => TStatus.StatusCode;

    public ProblemDetails Value => inner.ProblemDetails;

    object? IValueHttpResult.Value => inner.ProblemDetails;

    public string? ContentType => inner.ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => inner.ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(TStatus.StatusCode, typeof(ProblemDetails), ["application/problem+json"]));
}
