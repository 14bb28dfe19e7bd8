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

    /// <summary>Events of this type.</summary>
    public string? TypeFilter { get; init; }

    /// <summary>Also events about the subunits of the subject organisation.</summary>
    public bool? IncludeSubunits { get; init; }

    /// <summary>How pushes are made: <c>structured</c> (default), <c>binary</c> or <c>batched</c> (<c>application/cloudevents-batch+json</c>).</summary>
    public string? ContentMode { get; init; }

    /// <summary>Batched: most events per push (default 100, at most 1000).</summary>
    public int? BatchMaxEvents { get; init; }

    /// <summary>Batched: most body bytes per push (default 262144, 1024 to 4194304).</summary>
    public int? BatchMaxBytes { get; init; }

    /// <summary>How the endpoint is validated: <c>event</c> (the validation event, default) or <c>options</c> (the CloudEvents webhook handshake).</summary>
    public string? ValidationMethod { get; init; }
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

    /// <summary>The type filter.</summary>
    public string? TypeFilter { get; init; }

    /// <summary>Whether subunits are included.</summary>
    public bool IncludeSubunits { get; init; }

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

    /// <summary><c>structured</c>, <c>binary</c> or <c>batched</c>.</summary>
    public string? ContentMode { get; init; }

    /// <summary>Batched: most events per push, when set.</summary>
    public int? BatchMaxEvents { get; init; }

    /// <summary>Batched: most body bytes per push, when set.</summary>
    public int? BatchMaxBytes { get; init; }

    /// <summary><c>event</c> or <c>options</c>.</summary>
    public string? ValidationMethod { get; init; }

    /// <summary>The push rate (requests per minute) the endpoint granted in the OPTIONS handshake; null for no limit.</summary>
    public int? AllowedRate { get; init; }
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

    /// <summary>Deliveries waiting for the endpoint.</summary>
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
