using Altinn.Events.Core.Delivery;

namespace Altinn.Events.Persistence.Delivery;

/// <summary>One push attempt for the delivery log, made under <paramref name="Claim"/> (see <see cref="DeliverySchedule"/>).</summary>
public sealed record AttemptRecord(
    DeliveryReference Delivery,
    string EventId,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    TimeSpan Duration,
    string? Error,
    string Outcome,
    Guid Claim = default,
    bool Probe = false);

/// <summary>What an attempt does to its delivery: the status, and for a retry when it is due.</summary>
public sealed record AttemptEffect(string Status, DateTimeOffset? Due = null);

/// <summary>What an attempt does to the health of its endpoint (see migration 0008).</summary>
/// <param name="EndpointId">The endpoint's key.</param>
/// <param name="EndPoint">The URL.</param>
/// <param name="OpenAfter">Consecutive failures that open the endpoint.</param>
/// <param name="ProbeSchedule">The waits between probes of an open endpoint, the last repeating.</param>
/// <param name="RetryAfter">What the endpoint asked for (429/503); a probe waits at least this long.</param>
/// <param name="Counts">Whether a failure counts against the endpoint: false for all but the first delivery of a failed
/// batched push, so one failed request counts once however many events it carried.</param>
public sealed record EndpointEffect(Guid EndpointId, string EndPoint, int OpenAfter, IReadOnlyList<TimeSpan> ProbeSchedule, TimeSpan? RetryAfter, bool Counts = true);

/// <summary>
/// After an attempt: since when the subscription fails (null after a success), its endpoint's state, whether the attempt
/// still held its claim (<paramref name="Recorded"/>), and whether this attempt opened the endpoint.
/// </summary>
public sealed record AttemptResult(DateTimeOffset? FailingSince, string EndpointState, bool Recorded, bool Opened);
