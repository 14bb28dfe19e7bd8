using System.Text.Json;
using System.Text.Json.Serialization;

namespace Altinn.Events.Authorization.Remote;

// The XACML JSON profile, as much as this client sends and reads. Written PascalCase as in the spec, read
// case-insensitively (the platform answers in either casing).
internal sealed record XacmlJsonRequestRoot(XacmlJsonRequest Request);

internal sealed record XacmlJsonRequest(
    bool ReturnPolicyIdList,
    List<XacmlJsonCategory> AccessSubject,
    List<XacmlJsonCategory> Action,
    List<XacmlJsonCategory> Resource,
    XacmlJsonMultiRequests MultiRequests);

internal sealed record XacmlJsonCategory(string Id, List<XacmlJsonAttribute> Attribute);

internal sealed record XacmlJsonAttribute(string AttributeId, string Value, string DataType, bool IncludeInResult = false);

internal sealed record XacmlJsonMultiRequests(List<XacmlJsonRequestReference> RequestReference);

internal sealed record XacmlJsonRequestReference(List<string> ReferenceId);

internal sealed class XacmlJsonResponse
{
    public List<XacmlJsonResult>? Response { get; set; }
}

internal sealed class XacmlJsonResult
{
    public string? Decision { get; set; }

    public List<XacmlJsonObligation>? Obligations { get; set; }

    public List<XacmlJsonResultCategory>? Category { get; set; }
}

internal sealed class XacmlJsonObligation
{
    public string? Id { get; set; }

    public List<XacmlJsonAttributeAssignment>? AttributeAssignment { get; set; }
}

internal sealed class XacmlJsonAttributeAssignment
{
    public string? AttributeId { get; set; }

    public string? Category { get; set; }

    public string? Value { get; set; }
}

internal sealed class XacmlJsonResultCategory
{
    public string? CategoryId { get; set; }

    public List<XacmlJsonResultAttribute>? Attribute { get; set; }
}

internal sealed class XacmlJsonResultAttribute
{
    public string? AttributeId { get; set; }

    public string? Value { get; set; }
}

internal static class XacmlJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
