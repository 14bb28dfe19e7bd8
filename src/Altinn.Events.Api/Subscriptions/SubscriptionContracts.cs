using System.Text.Json;
using System.Text.Json.Nodes;
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
/// <param name="TypeFilter">Events of these types only: a type, or an array of up to 50; an entry ending in <c>.*</c> is a
/// prefix (<c>app.instance.process.*</c>).</param>
/// <param name="IncludeSubunits">Also events about the subject's subunits (needs a subject filter).</param>
/// <param name="Filters">CloudEvents Subscriptions API filter expressions over the event's attributes, all of which must
/// hold: <c>{"exact":{"attr":"value"}}</c>, <c>prefix</c>, <c>suffix</c>, <c>{"all":[...]}</c>, <c>{"any":[...]}</c>,
/// <c>{"not":{...}}</c>.</param>
/// <param name="ContentMode"><c>structured</c> (the default: one <c>application/cloudevents+json</c> event per request),
/// <c>binary</c> (attributes as percent-encoded <c>ce-</c> headers, the data as the body, datacontenttype as the
/// Content-Type; signed over the body) or <c>batched</c> (the waiting events, oldest first, as one
/// <c>application/cloudevents-batch+json</c> array per request, up to batchMaxEvents events and batchMaxBytes bytes; one
/// signature over the body; the webhook-id <c>{subscriptionId}:batch:{firstSeq}-{lastSeq}:{digest}</c> is the same on
/// every retry of the batch).</param>
/// <param name="BatchMaxEvents">contentMode batched only: most events per request, 1 to 1000 (default 100).</param>
/// <param name="BatchMaxBytes">contentMode batched only: most body bytes per request, 1024 to 4194304 (default 262144); a
/// larger event goes alone.</param>
/// <param name="ValidationMethod"><c>event</c> (the default: the validation event, answered with a 2xx) or <c>options</c>
/// (the CloudEvents HTTP webhook handshake: <c>OPTIONS</c> with <c>WebHook-Request-Origin</c>, answered with a 2xx and
/// <c>WebHook-Allowed-Origin</c> naming that origin or <c>*</c>; a <c>WebHook-Allowed-Rate</c> becomes the endpoint's
/// push rate, requests per minute).</param>
/// <param name="Enabled">False to create it paused.</param>
public sealed record SubscriptionRequest(
    string? EndPoint,
    string? SourceFilter,
    string? ResourceFilter,
    string? SubjectFilter,
    string? AlternativeSubjectFilter,
    JsonElement? TypeFilter,
    bool? IncludeSubunits,
    JsonElement? Filters = null,
    string? ContentMode = null,
    int? BatchMaxEvents = null,
    int? BatchMaxBytes = null,
    string? ValidationMethod = null,
    bool? Enabled = null)
{
    public SubscriptionInput ToInput() => new(
        EndPoint, SourceFilter, ResourceFilter, SubjectFilter, AlternativeSubjectFilter, TypeFilter, IncludeSubunits, Filters, ContentMode, BatchMaxEvents, BatchMaxBytes, ValidationMethod, Enabled);
}

/// <summary>
/// The body of <c>PATCH /subscriptions/{id}</c> (JSON merge patch): a member left out is unchanged; <c>null</c> sets it
/// back to its default. The other filters (resource, source, subject) cannot be changed: create a new subscription.
/// </summary>
/// <param name="EndPoint">A new webhook; the subscription is validated again (pending until then).</param>
/// <param name="TypeFilter">As on creation; null: every type.</param>
/// <param name="Filters">As on creation; null: none.</param>
/// <param name="ContentMode">As on creation; null: structured.</param>
/// <param name="BatchMaxEvents">As on creation.</param>
/// <param name="BatchMaxBytes">As on creation.</param>
/// <param name="ValidationMethod">As on creation; a change validates the endpoint again.</param>
/// <param name="Enabled">False pauses (deliveries wait); true resumes (they are pushed, oldest first).</param>
public sealed record SubscriptionPatch(
    string? EndPoint,
    JsonElement? TypeFilter,
    JsonElement? Filters,
    string? ContentMode,
    int? BatchMaxEvents,
    int? BatchMaxBytes,
    string? ValidationMethod,
    bool? Enabled)
{
    /// <summary>The members a patch may name, as JSON names.</summary>
    public static readonly IReadOnlySet<string> Members = new HashSet<string>(StringComparer.Ordinal)
    {
        "endPoint", "typeFilter", "filters", "contentMode", "batchMaxEvents", "batchMaxBytes", "validationMethod", "enabled",
    };
}

/// <summary>
/// A subscription as its consumer sees it. <see cref="Secret"/> appears only when it was just created or rotated.
/// <see cref="AllowedRate"/>: for validationMethod options, the push rate the endpoint granted (WebHook-Allowed-Rate,
/// requests per minute); absent for no limit.
/// </summary>
public sealed record SubscriptionResponse(
    Guid Id,
    string EndPoint,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SourceFilter,
    string ResourceFilter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SubjectFilter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AlternativeSubjectFilter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonNode? TypeFilter,
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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EndpointHealthResponse? EndpointHealth = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonNode? Filters = null,
    bool Enabled = true,
    string ContentMode = ContentModes.Structured,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? BatchMaxEvents = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? BatchMaxBytes = null,
    string ValidationMethod = ValidationMethods.Event,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? AllowedRate = null)
{
    /// <summary>A type filter of one entry is shown as a string (as the public service shows it), of several as an array.</summary>
    public static JsonNode? TypeFilterOf(IReadOnlyList<string>? types) => types switch
    {
        null or [] => null,
        [var one] => JsonValue.Create(one),
        _ => new JsonArray([.. types.Select(t => (JsonNode)JsonValue.Create(t))]),
    };

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
        TypeFilterOf(s.TypeFilter),
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
        s.DisabledReason,
        null,
        s.Filters is null ? null : JsonNode.Parse(s.Filters),
        s.Enabled,
        s.ContentMode,
        s.BatchMaxEvents,
        s.BatchMaxBytes,
        s.ValidationMethod,
        s.AllowedRate)
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
/// <param name="WaitingDeliveries">This subscription's deliveries waiting for a retry, for the endpoint, or for the subscription to be resumed.</param>
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
