using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Altinn.Events.Client.Json;

namespace Altinn.Events.Client;

/// <summary>A new subscription (<c>POST /subscriptions</c>). At least one of the source and resource filters is required.</summary>
public sealed record SubscriptionRequest
{
    /// <summary>Where events are pushed: an https URL (http to loopback in development).</summary>
    public required Uri EndPoint { get; init; }

    /// <summary>Events whose <c>source</c> starts with this (app subscriptions: <c>https://{org}.apps.altinn.no/{org}/{app}</c>).</summary>
    public string? SourceFilter { get; init; }

    /// <summary>Events of this resource, <c>urn:altinn:resource:{id}</c>.</summary>
    public string? ResourceFilter { get; init; }

    /// <summary>Events with this <c>subject</c> (e.g. <c>/party/50001</c>).</summary>
    public string? SubjectFilter { get; init; }

    /// <summary>Events with this <c>alternativesubject</c>.</summary>
    public string? AlternativeSubjectFilter { get; init; }

    /// <summary>Events of this one type (a shorthand for a <see cref="TypeFilters"/> of one entry).</summary>
    [JsonIgnore]
    public string? TypeFilter
    {
        get => TypeFilters is [var one] ? one : null;
        init => TypeFilters = value is null ? null : [value];
    }

    /// <summary>
    /// Events of these types (up to 50); an entry ending in <c>.*</c> is a prefix (<c>app.instance.process.*</c>).
    /// </summary>
    [JsonPropertyName("typeFilter")]
    [JsonConverter(typeof(OneOrManyStringsConverter))]
    public IReadOnlyList<string>? TypeFilters { get; init; }

    /// <summary>Also events about the subunits of the subject organisation.</summary>
    public bool? IncludeSubunits { get; init; }

    /// <summary>
    /// CloudEvents Subscriptions API filter expressions, all of which must hold (build them with
    /// <see cref="SubscriptionFilters"/>).
    /// </summary>
    public JsonArray? Filters { get; init; }

    /// <summary>How events are pushed (<see cref="PushContentModes"/>); the service's default is structured.</summary>
    public string? ContentMode { get; init; }

    /// <summary>For <see cref="PushContentModes.Batched"/>: at most this many events per push (default 100, at most 1000).</summary>
    public int? BatchMaxEvents { get; init; }

    /// <summary>For <see cref="PushContentModes.Batched"/>: at most this many body bytes per push (default 262 144, 1 024 to 4 194 304).</summary>
    public int? BatchMaxBytes { get; init; }

    /// <summary>How the endpoint is validated (<see cref="ValidationMethods"/>); the service's default is the validation event.</summary>
    public string? ValidationMethod { get; init; }

    /// <summary>False to create it paused (deliveries wait until it is resumed).</summary>
    public bool? Enabled { get; init; }
}

/// <summary>
/// A change to a subscription (<c>PATCH /subscriptions/{id}</c>, a JSON merge patch): what is left null stays as it is.
/// The resource, source and subject filters cannot be changed (create a new subscription).
/// </summary>
public sealed record SubscriptionUpdate
{
    /// <summary>A new endpoint: the subscription is validated again, and gets no events until it is.</summary>
    public Uri? EndPoint { get; init; }

    /// <summary>New type filters (see <see cref="SubscriptionRequest.TypeFilters"/>).</summary>
    public IReadOnlyList<string>? TypeFilters { get; init; }

    /// <summary>True to remove the type filter (every type).</summary>
    public bool ClearTypeFilters { get; init; }

    /// <summary>New filter expressions (see <see cref="SubscriptionFilters"/>).</summary>
    public JsonArray? Filters { get; init; }

    /// <summary>True to remove the filter expressions.</summary>
    public bool ClearFilters { get; init; }

    /// <summary>A new push content mode (<see cref="PushContentModes"/>).</summary>
    public string? ContentMode { get; init; }

    /// <summary>For <see cref="PushContentModes.Batched"/>: at most this many events per push.</summary>
    public int? BatchMaxEvents { get; init; }

    /// <summary>For <see cref="PushContentModes.Batched"/>: at most this many bytes per push.</summary>
    public int? BatchMaxBytes { get; init; }

    /// <summary>A new validation method (<see cref="ValidationMethods"/>): the endpoint is validated again.</summary>
    public string? ValidationMethod { get; init; }

    /// <summary>False pauses (deliveries wait); true resumes (the waiting ones are pushed, oldest first).</summary>
    public bool? Enabled { get; init; }

    /// <summary>The merge patch as JSON: members named only when set; a cleared filter as <c>null</c>.</summary>
    internal JsonObject ToMergePatch()
    {
        if (ClearTypeFilters && TypeFilters is not null)
        {
            throw new ArgumentException("Give TypeFilters or ClearTypeFilters, not both.", nameof(TypeFilters));
        }

        if (ClearFilters && Filters is not null)
        {
            throw new ArgumentException("Give Filters or ClearFilters, not both.", nameof(Filters));
        }

        var patch = new JsonObject();
        if (EndPoint is not null)
        {
            patch["endPoint"] = EndPoint.AbsoluteUri;
        }

        if (TypeFilters is not null || ClearTypeFilters)
        {
            patch["typeFilter"] = TypeFilters is null ? null : new JsonArray([.. TypeFilters.Select(t => (JsonNode?)JsonValue.Create(t))]);
        }

        if (Filters is not null || ClearFilters)
        {
            patch["filters"] = Filters?.DeepClone();
        }

        Set(patch, "contentMode", ContentMode);
        Set(patch, "batchMaxEvents", BatchMaxEvents);
        Set(patch, "batchMaxBytes", BatchMaxBytes);
        Set(patch, "validationMethod", ValidationMethod);
        Set(patch, "enabled", Enabled);
        if (patch.Count == 0)
        {
            throw new ArgumentException("The update changes nothing: set at least one member.");
        }

        return patch;
    }

    private static void Set<T>(JsonObject patch, string name, T? value)
    {
        if (value is not null)
        {
            patch[name] = JsonValue.Create(value);
        }
    }
}

/// <summary>How a subscription's events are pushed.</summary>
public static class PushContentModes
{
    /// <summary>One <c>application/cloudevents+json</c> event per request (the default).</summary>
    public const string Structured = "structured";

    /// <summary>Attributes in <c>ce-</c> headers, the data as the body.</summary>
    public const string Binary = "binary";

    /// <summary>Several events per request as <c>application/cloudevents-batch+json</c>.</summary>
    public const string Batched = "batched";
}

/// <summary>How a subscription's endpoint is validated.</summary>
public static class ValidationMethods
{
    /// <summary>The validation event, answered with a 2xx (the default; <c>MapEventsWebhook</c> answers it).</summary>
    public const string Event = "event";

    /// <summary>The CloudEvents HTTP webhook handshake: an <c>OPTIONS</c> request answered with <c>WebHook-Allowed-Origin</c>.</summary>
    public const string Options = "options";
}

/// <summary>
/// Filter expressions of the CloudEvents Subscriptions API, for <see cref="SubscriptionRequest.Filters"/>: over the
/// event's attributes (<c>type</c>, <c>source</c>, <c>subject</c>, extensions).
/// </summary>
public static class SubscriptionFilters
{
    /// <summary>The attribute equals <paramref name="value"/>.</summary>
    public static JsonObject Exact(string attribute, string value) => Dialect("exact", attribute, value);

    /// <summary>The attribute starts with <paramref name="value"/>.</summary>
    public static JsonObject Prefix(string attribute, string value) => Dialect("prefix", attribute, value);

    /// <summary>The attribute ends with <paramref name="value"/>.</summary>
    public static JsonObject Suffix(string attribute, string value) => Dialect("suffix", attribute, value);

    /// <summary>Every one of <paramref name="filters"/> holds.</summary>
    public static JsonObject All(params JsonObject[] filters) => new() { ["all"] = List(filters) };

    /// <summary>At least one of <paramref name="filters"/> holds.</summary>
    public static JsonObject Any(params JsonObject[] filters) => new() { ["any"] = List(filters) };

    /// <summary><paramref name="filter"/> does not hold.</summary>
    public static JsonObject Not(JsonObject filter) => new() { ["not"] = filter.DeepClone() };

    /// <summary>The expressions as the array <see cref="SubscriptionRequest.Filters"/> takes.</summary>
    public static JsonArray List(params JsonObject[] filters) => new([.. filters.Select(f => f.DeepClone())]);

    private static JsonObject Dialect(string dialect, string attribute, string value) => new() { [dialect] = new JsonObject { [attribute] = value } };
}

/// <summary>A subscription as the service shows it.</summary>
public sealed record Subscription
{
    /// <summary>The subscription's id.</summary>
    public Guid Id { get; init; }

    /// <summary>The endpoint events are pushed to.</summary>
    public string? EndPoint { get; init; }

    /// <summary>The source filter.</summary>
    public string? SourceFilter { get; init; }

    /// <summary>The resource filter.</summary>
    public string? ResourceFilter { get; init; }

    /// <summary>The subject filter.</summary>
    public string? SubjectFilter { get; init; }

    /// <summary>The alternative subject filter.</summary>
    public string? AlternativeSubjectFilter { get; init; }

    /// <summary>The type filter when it has exactly one entry.</summary>
    [JsonIgnore]
    public string? TypeFilter => TypeFilters is [var one] ? one : null;

    /// <summary>The type filters (null: every type).</summary>
    [JsonPropertyName("typeFilter")]
    [JsonConverter(typeof(OneOrManyStringsConverter))]
    public IReadOnlyList<string>? TypeFilters { get; init; }

    /// <summary>Whether subunits are included.</summary>
    public bool IncludeSubunits { get; init; }

    /// <summary>
    /// True when the subscription has no subject filter and covers every party its consumer holds the right for, as
    /// those rights change.
    /// </summary>
    public bool AllParties { get; init; }

    /// <summary>The filter expressions.</summary>
    public JsonArray? Filters { get; init; }

    /// <summary>False while paused: deliveries wait.</summary>
    /// <remarks>Settable, not init-only: the source-generated reader sets every init-only property, so a default would
    /// be lost when an older service leaves the member out.</remarks>
    public bool Enabled { get; set; } = true;

    /// <summary>How events are pushed (<see cref="PushContentModes"/>).</summary>
    public string? ContentMode { get; init; }

    /// <summary>For batched pushes: at most this many events per push.</summary>
    public int? BatchMaxEvents { get; init; }

    /// <summary>For batched pushes: at most this many bytes per push.</summary>
    public int? BatchMaxBytes { get; init; }

    /// <summary>How the endpoint is validated (<see cref="ValidationMethods"/>).</summary>
    public string? ValidationMethod { get; init; }

    /// <summary>The push rate (requests per minute) the endpoint granted in the OPTIONS handshake; null for no limit.</summary>
    public int? AllowedRate { get; init; }

    /// <summary>The consumer that owns it.</summary>
    public string? Consumer { get; init; }

    /// <summary>Who created it.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Whether the endpoint answered the validation event (only validated subscriptions get events).</summary>
    public bool Validated { get; init; }

    /// <summary><c>pending</c>, <c>validated</c> or <c>failed</c>.</summary>
    public string? ValidationStatus { get; init; }

    /// <summary>Validation attempts so far.</summary>
    public int ValidationAttempts { get; init; }

    /// <summary>When it was validated.</summary>
    public DateTimeOffset? ValidatedAt { get; init; }

    /// <summary>When validation was last tried.</summary>
    public DateTimeOffset? LastValidationAt { get; init; }

    /// <summary>Why the last validation attempt failed.</summary>
    public string? LastValidationError { get; init; }

    /// <summary>The signing secret (<c>whsec_...</c>): only in the answer to create (and rotate); keep it to verify pushes.</summary>
    public string? Secret { get; init; }

    /// <summary>Since when every push has failed.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>When the service disabled it.</summary>
    public DateTimeOffset? DisabledAt { get; init; }

    /// <summary>Why it was disabled.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>The endpoint's health (from <c>GET /subscriptions/{id}</c>).</summary>
    public EndpointHealth? EndpointHealth { get; init; }
}

/// <summary>How pushes to the subscription's endpoint are going.</summary>
public sealed record EndpointHealth
{
    /// <summary><c>healthy</c>, <c>failing</c> or <c>open</c>.</summary>
    public string? State { get; init; }

    /// <summary>Since when pushes fail.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>Failed pushes in a row.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>When an open endpoint is probed next.</summary>
    public DateTimeOffset? NextProbeAt { get; init; }

    /// <summary>The last push error.</summary>
    public string? LastError { get; init; }

    /// <summary>Deliveries waiting for a retry, for the endpoint, or for the paused subscription to be resumed.</summary>
    public long WaitingDeliveries { get; init; }
}

/// <summary>One push attempt in the delivery log.</summary>
public sealed record DeliveryAttempt
{
    /// <summary>The event's id.</summary>
    public string? EventId { get; init; }

    /// <summary>The event's position in the store.</summary>
    public long Seq { get; init; }

    /// <summary>The attempt number of this delivery.</summary>
    public int Attempt { get; init; }

    /// <summary>When the push was made.</summary>
    public DateTimeOffset AttemptedAt { get; init; }

    /// <summary>The endpoint's status code, when it answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>How long the push took.</summary>
    public int DurationMs { get; init; }

    /// <summary>The error category (<c>timeout</c>, <c>connection refused</c>, ...), when it did not answer.</summary>
    public string? Error { get; init; }

    /// <summary><c>delivered</c>, <c>retry</c>, <c>failed</c>, <c>gone</c> or <c>gaveup</c>.</summary>
    public string? Outcome { get; init; }

    /// <summary>Whether the push probed an open endpoint.</summary>
    public bool Probe { get; init; }
}

/// <summary>What to push again (<c>POST /subscriptions/{id}/redeliver</c>): give exactly one of the three.</summary>
public sealed record RedeliveryRequest
{
    /// <summary>The events after this event id.</summary>
    public string? After { get; init; }

    /// <summary>The events registered from this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Continues an incomplete redelivery (<see cref="RedeliveryResult.Cursor"/>).</summary>
    public string? Cursor { get; init; }
}

/// <summary>The answer to a redelivery.</summary>
public sealed record RedeliveryResult
{
    /// <summary>Events queued as new deliveries.</summary>
    public int Queued { get; init; }

    /// <summary>False when the call stopped at its limits; call again with <see cref="Cursor"/>.</summary>
    public bool Complete { get; init; }

    /// <summary>Where to continue when not complete.</summary>
    public string? Cursor { get; init; }

    /// <summary>The last event queued.</summary>
    public string? LastEventId { get; init; }
}

/// <summary>Who the service takes the caller to be (<c>GET /whoami</c>).</summary>
public sealed record WhoAmI
{
    /// <summary>The kind of identity (org, app, user, ...).</summary>
    public string? Kind { get; init; }

    /// <summary>The consumer string the service records.</summary>
    public string? Consumer { get; init; }

    /// <summary>The org, if any.</summary>
    public string? Org { get; init; }

    /// <summary>The app, if any.</summary>
    public string? App { get; init; }

    /// <summary>The party, if any.</summary>
    public int? PartyId { get; init; }

    /// <summary>The authentication level.</summary>
    public int AuthenticationLevel { get; init; }

    /// <summary>The token's scopes.</summary>
    public IReadOnlyList<string>? Scopes { get; init; }
}

internal sealed record SubscriptionList(int Count, IReadOnlyList<Subscription>? Subscriptions);

internal sealed record SecretAnswer(Guid Id, string? Secret);

internal sealed record DeliveryLogPage(IReadOnlyList<DeliveryAttempt>? Attempts, string? Next);
