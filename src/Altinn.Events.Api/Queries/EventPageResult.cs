using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Altinn.Events.Api.Queries;

/// <summary>
/// A page of CloudEvents as stored: a JSON array written as the stored text (never re-serialized). As a member of a
/// handler's <c>Results&lt;...&gt;</c> it declares the 200 response, a JSON array.
/// </summary>
internal sealed class EventPageResult : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private readonly ContentHttpResult inner;

    public EventPageResult(string jsonArray) => inner = TypedResults.Text(jsonArray, "application/json", Encoding.UTF8);

    public int? StatusCode => StatusCodes.Status200OK;

    public string? ContentType => inner.ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => inner.ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(JsonElement[]), ["application/json"]));
}
