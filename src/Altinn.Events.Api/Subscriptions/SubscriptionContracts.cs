using System.Text.Json.Serialization;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Persistence.Subscriptions;

namespace Altinn.Events.Api.Subscriptions;

/// <summary>The body of <c>POST /subscriptions</c>.</summary>
/// <param name="EndPoint">The webhook: an absolute https URL (http to loopback in development).</param>
/// <param name="SourceFilter">Events whose source is this URI or lies below it; on the apps domain it names an app.</param>
/// <param name="ResourceFilter">The resource, <c>urn:altinn:resource:{id}</c>; required unless the subscription is to an app.</param>
/// <param name="SubjectFilter">Events about this subject, <c>/party/{id}</c>.</param>
/// <param name="AlternativeSubjectFilter"><c>/person/{11 digits}</c> or <c>/organisation/{9 digits}</c>, resolved to a party.</param>
/// <param name="TypeFilter">Events of this type only.</param>
/// <param name="IncludeSubunits">Also events about the subject's subunits (needs a subject filter).</param>
public sealed record SubscriptionRequest(
    string? EndPoint,
    string? SourceFilter,
    string? ResourceFilter,
    string? SubjectFilter,
    string? AlternativeSubjectFilter,
    string? TypeFilter,
    bool? IncludeSubunits)
{
    public SubscriptionInput ToInput() => new(EndPoint, SourceFilter, ResourceFilter, SubjectFilter, AlternativeSubjectFilter, TypeFilter, IncludeSubunits);
}

/// <summary>A subscription as its consumer sees it. <see cref="Secret"/> appears only when it was just created or rotated.</summary>
public sealed record SubscriptionResponse(
    Guid Id,
    string EndPoint,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SourceFilter,
    string ResourceFilter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SubjectFilter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AlternativeSubjectFilter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TypeFilter,
    bool IncludeSubunits,
    string Consumer,
    string CreatedBy,
    DateTimeOffset Created,
    bool Validated,
    string ValidationStatus,
    int ValidationAttempts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ValidatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? LastValidationAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastValidationError,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? FailingSince = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? DisabledAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DisabledReason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EndpointHealthResponse? EndpointHealth = null)
{
    /// <summary>
    /// No subject filter, and about every party the consumer holds the right for (read on an app, subscribe otherwise),
    /// as its rights change. Shown only when true.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool AllParties { get; init; }

    public static SubscriptionResponse From(Subscription s, bool withSecret = false) => new(
        s.Id,
        s.EndPoint,
        s.SourceFilter,
        s.ResourceFilter,
        s.SubjectFilter,
        s.AlternativeSubjectFilter,
        s.TypeFilter,
        s.IncludeSubunits,
        s.Consumer,
        s.CreatedBy,
        s.Created,
        s.ValidationStatus == Core.Subscriptions.ValidationStatus.Validated,
        s.ValidationStatus,
        s.ValidationAttempts,
        s.ValidatedAt,
        s.LastValidationAt,
        s.LastValidationError,
        withSecret ? s.Secret : null,
        s.FailingSince,
        s.DisabledAt,
        s.DisabledReason)
    {
        AllParties = s.AllParties,
    };
}

/// <summary>The caller's subscriptions.</summary>
public sealed record SubscriptionList(int Count, IReadOnlyList<SubscriptionResponse> Subscriptions);

/// <summary>A new signing secret; shown this once.</summary>
public sealed record SecretResponse(Guid Id, string Secret);

/// <summary>How the subscription's endpoint is doing (<c>GET /subscriptions/{id}</c> only).</summary>
/// <param name="State"><c>healthy</c>; <c>failing</c> (some pushes failed lately); <c>open</c> (failed
/// <c>Outbound:OpenAfter</c> times in a row: deliveries wait and one probe per retry step tests the endpoint).</param>
/// <param name="FailingSince">The first of the failures in a row.</param>
/// <param name="ConsecutiveFailures">Failed pushes in a row.</param>
/// <param name="NextProbeAt">When an open endpoint is probed next.</param>
/// <param name="LastError">The last failure: a status code or a transport error.</param>
/// <param name="WaitingDeliveries">This subscription's deliveries waiting for a retry or for the endpoint.</param>
public sealed record EndpointHealthResponse(
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? FailingSince,
    int ConsecutiveFailures,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? NextProbeAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastError,
    long WaitingDeliveries)
{
    public static EndpointHealthResponse From(Persistence.Delivery.EndpointHealth h) =>
        new(h.State, h.FailingSince, h.ConsecutiveFailures, h.NextProbeAt, h.LastError, h.WaitingDeliveries);
}
