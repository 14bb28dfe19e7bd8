namespace Altinn.Events.Api.SubscriberTools;

/// <summary>A test event queued for the subscription's endpoint (<c>POST /subscriptions/{id}/test-event</c>).</summary>
/// <param name="EventId">The test event's id: its push appears under it in the delivery log.</param>
/// <param name="Type">Always <see cref="TestEvents.Type"/>.</param>
/// <param name="Queued">When it was queued.</param>
public sealed record TestEventResponse(string EventId, string Type, DateTimeOffset Queued);

/// <summary>Push attempts of one hour, by outcome.</summary>
/// <param name="Hour">The start of the hour (UTC).</param>
/// <param name="Delivered">Attempts answered with a 2xx.</param>
/// <param name="Retry">Failed attempts followed by another.</param>
/// <param name="Failed">Failed last attempts.</param>
/// <param name="Gone">Attempts answered with 410.</param>
/// <param name="GaveUp">Deliveries given up while their endpoint was open.</param>
public sealed record HourlyDeliveries(DateTimeOffset Hour, int Delivered, int Retry, int Failed, int Gone, int GaveUp);

/// <summary>A subscription's push attempts per hour by outcome, oldest hour first, every hour of the window included.</summary>
/// <param name="Hours">How many hours the window covers (up to and including the current one).</param>
/// <param name="Buckets">One entry per hour.</param>
public sealed record DeliveryStatsResponse(int Hours, IReadOnlyList<HourlyDeliveries> Buckets);

/// <summary>What the test event looks like.</summary>
public static class TestEvents
{
    /// <summary>The CloudEvents type of every test event.</summary>
    public const string Type = "platform.events.test";

    /// <summary>
    /// The resource of every test event: no policy grants it to anyone, so no query or subscription can read a test event
    /// (they carry no data about anyone either).
    /// </summary>
    public const string Resource = "urn:altinn:resource:altinn-events-test";
}
