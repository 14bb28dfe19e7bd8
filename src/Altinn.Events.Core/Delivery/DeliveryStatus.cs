namespace Altinn.Events.Core.Delivery;

/// <summary>
/// Values of <c>deliveries.status</c> (migration 0008 describes each). SQL takes them from here by interpolating the
/// constants into its own constant statements, not as parameters: partial indexes (migrations 0008 and 0012) name
/// statuses, and an auto-prepared statement's generic plan could not use them for a status given as a parameter.
/// </summary>
public static class DeliveryStatus
{
    /// <summary>Handed to <c>events-outbound</c>; not pushed yet.</summary>
    public const string Queued = "queued";

    /// <summary>A push failed; the scheduler tries again at the row's due time.</summary>
    public const string Waiting = "waiting";

    /// <summary>Waits on its endpoint (open, or all its slots were busy); given up at the row's due time.</summary>
    public const string Parked = "parked";

    /// <summary>Claimed by one outbound instance for one push.</summary>
    public const string Pushing = "pushing";

    /// <summary>Its subscription is paused; due again (oldest first) when it is resumed.</summary>
    public const string Paused = "paused";

    /// <summary>The consumer may not read the event (decided when it was matched); never pushed.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The endpoint answered 2xx.</summary>
    public const string Delivered = "delivered";

    /// <summary>Every retry failed, or the delivery was given up while it waited on its endpoint.</summary>
    public const string Failed = "failed";

    /// <summary>The endpoint answered 410 Gone.</summary>
    public const string Gone = "gone";

    /// <summary>Not pushed: the subscription was deleted, disabled or not validated, the event expired, or the consumer lost the right.</summary>
    public const string Skipped = "skipped";

    /// <summary>Every value, in the order of the <c>deliveries_status_check</c> constraint (a test holds them equal).</summary>
    public static readonly IReadOnlyList<string> All = [Queued, Waiting, Parked, Pushing, Paused, Unauthorized, Delivered, Failed, Gone, Skipped];

    /// <summary>Waiting to be pushed, or being pushed: what a skip or a redelivery may still change.</summary>
    public static readonly IReadOnlyList<string> Pending = [Queued, Waiting, Parked, Pushing];

    /// <summary>Whether nothing more will happen to a delivery in this status.</summary>
    public static bool IsSettled(string status) => status is Unauthorized or Delivered or Failed or Gone or Skipped;
}
