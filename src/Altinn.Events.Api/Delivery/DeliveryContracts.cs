using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Altinn.Events.Persistence.Delivery;

namespace Altinn.Events.Api.Delivery;

/// <summary>The body of <c>POST /subscriptions/{id}/redeliver</c>: exactly one of the three.</summary>
/// <param name="After">
/// Push again the events after this event id (exclusive), of the subscription's resource. Ids are not unique (only per
/// publisher, resource and source): the earliest retained event with this id that the consumer may see counts, so events
/// may be pushed again that the consumer had, but none after it is missed.
/// </param>
/// <param name="From">Push again the events registered at or after this time (RFC 3339 with a time zone).</param>
/// <param name="Cursor">Continue an earlier redelivery: the <c>cursor</c> of its answer.</param>
public sealed record RedeliveryRequest(string? After, string? From, string? Cursor = null);

/// <summary>What a redelivery queued.</summary>
/// <param name="Queued">Events queued for the subscription's endpoint.</param>
/// <param name="Complete">True when every matching event up to now was queued; false when the cap (or the scan limit) stopped it.</param>
/// <param name="Cursor">When not complete: send it as <c>cursor</c> to continue where this call stopped.</param>
/// <param name="LastEventId">The id of the last event queued, when any was.</param>
public sealed record RedeliveryResponse(
    int Queued,
    bool Complete,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Cursor,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LastEventId);

/// <summary>
/// One push attempt, or a delivery given up without one. <c>outcome</c>: delivered, retry, failed (the last attempt),
/// gone (410), gaveup (it waited on an open endpoint for the retry schedule's whole span); <c>probe</c>: the push tested an
/// open endpoint.
/// </summary>
public sealed record DeliveryAttemptResponse(
    string EventId,
    long Seq,
    int Attempt,
    DateTimeOffset AttemptedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? StatusCode,
    int DurationMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    string Outcome,
    bool Probe)
{
    public static DeliveryAttemptResponse From(LoggedAttempt a) => new(a.EventId, a.EventSeq, a.Attempt, a.AttemptedAt, a.StatusCode, a.DurationMs, a.Error, a.Outcome, a.Probe);
}

/// <summary>A page of the delivery log, newest first; <see cref="Next"/> is the URL of the following (older) page.</summary>
public sealed record DeliveryLogPage(
    IReadOnlyList<DeliveryAttemptResponse> Attempts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next);

/// <summary>Redelivery settings, bound from <c>Redelivery</c>.</summary>
public sealed class RedeliveryOptions
{
    public const string SectionName = "Redelivery";

    /// <summary>Most events one redelivery call queues.</summary>
    [Range(1, 100_000, ErrorMessage = "Redelivery:MaxEvents must be between {1} and {2}.")]
    public int MaxEvents { get; set; } = 1000;

    /// <summary>
    /// Most events one call examines (matching and authorization drop some), so a call's cost stays bounded. A call that
    /// reaches it answers with a cursor a fixed distance past its start, whatever it found, so the cursor says nothing about
    /// the events the consumer may not see.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Redelivery:MaxScanned must be between {1} and {2}.")]
    public int MaxScanned { get; set; } = 10_000;

    /// <summary>Deliveries per outbound queue message (a reference is about 130 bytes; a message holds 64 KB).</summary>
    [Range(1, 400, ErrorMessage = "Redelivery:DeliveriesPerMessage must be between {1} and {2}.")]
    public int DeliveriesPerMessage { get; set; } = 256;
}
