using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Altinn.Events.Api.Endpoints;

/// <summary>
/// Why a JSON body could not be read (<see cref="JsonBody.ReadAsync{T}"/>): 400 naming the field, 413 or 415. As a
/// member of a handler's <c>Results&lt;...&gt;</c> it declares all three responses.
/// </summary>
internal sealed class JsonBodyProblem : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    private readonly IResult inner;

    public JsonBodyProblem(ValidationProblem problem) => inner = problem;

    public JsonBodyProblem(ProblemResult<TooLarge413> problem) => inner = problem;

    public JsonBodyProblem(ProblemResult<UnsupportedMediaType415> problem) => inner = problem;

    public int? StatusCode => ((IStatusCodeHttpResult)inner).StatusCode;

    public Task ExecuteAsync(HttpContext httpContext) => inner.ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ["application/problem+json"]));
        ProblemResult<TooLarge413>.PopulateMetadata(method, builder);
        ProblemResult<UnsupportedMediaType415>.PopulateMetadata(method, builder);
    }
}
