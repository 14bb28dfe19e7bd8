using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Stages.Outbound;

/// <summary>The outbound stage (webhook pushes), bound from <c>Outbound</c>.</summary>
public sealed class OutboundOptions : IValidatableObject
{
    private Core.Delivery.RetryPolicy? _policy;
    private IReadOnlyList<TimeSpan>? _schedule;

    public const string SectionName = "Outbound";

    /// <summary>
    /// Delays before the second, third, ... push of a delivery, comma-separated. A delivery gets one attempt plus one
    /// per entry (12 by default); after the last it goes to the poison queue and is marked failed. An open endpoint is
    /// probed after each entry in turn, and a delivery waiting on it is given up when the whole span has passed.
    /// </summary>
    public string RetrySchedule { get; set; } = "10s, 30s, 1m, 5m, 10m, 30m, 1h, 3h, 6h, 12h, 12h";

    /// <summary>How long an endpoint has to answer one push.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Outbound:Timeout must be between {1} and {2}.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Pushes in flight to one endpoint host (scheme, host and port) in this process. Health is kept per URL; this limit
    /// protects hosts that serve many subscribers' URLs, and keeps a hanging host to its own slots.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Outbound:MaxConcurrencyPerEndpoint must be between {1} and {2}.")]
    public int MaxConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Pushes in flight for one consumer, across all its endpoints, in this process: its fair share of <see cref="MaxConcurrency"/>.</summary>
    [Range(1, 100_000, ErrorMessage = "Outbound:MaxConcurrencyPerConsumer must be between {1} and {2}.")]
    public int MaxConcurrencyPerConsumer { get; set; } = 64;

    /// <summary>Pushes in flight in this process, across all endpoints.</summary>
    [Range(1, 100_000, ErrorMessage = "Outbound:MaxConcurrency must be between {1} and {2}.")]
    public int MaxConcurrency { get; set; } = 512;

    /// <summary>
    /// Consecutive failed pushes (timeouts, refused connections, non-2xx other than 410) that open an endpoint: its
    /// deliveries then wait in PostgreSQL, and one probe per step of <see cref="RetrySchedule"/> tests it.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Outbound:OpenAfter must be between {1} and {2}.")]
    public int OpenAfter { get; set; } = 5;

    /// <summary>
    /// How long a push waits in line in memory for a free slot of its host, its consumer and the process before its
    /// delivery is parked in PostgreSQL (and drained when slots free up). The wait holds a claim but no queue message or
    /// listener slot, so it may be long enough for a burst to a busy healthy endpoint to be served in turn. Claims last
    /// this plus <see cref="Timeout"/> plus a minute, so a dead instance's deliveries are pushed again after about that.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Outbound:SlotWait must be between {1} and {2}.")]
    public TimeSpan SlotWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a queue message waits for its pushes that found a free slot at once before it completes (pushes waiting
    /// in line for a slot do not hold it). Every push is claimed in PostgreSQL before it
    /// starts, so one still running then (a slow endpoint) goes on without the message; if this process dies the claim
    /// lapses and the scheduler pushes the delivery again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Outbound:HoldMessageFor must be between {1} and {2}.")]
    public TimeSpan HoldMessageFor { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the scheduler looks for due retries, probes and backlogs when it found nothing to do.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Outbound:SchedulerInterval must be between {1} and {2}.")]
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Due deliveries the scheduler claims per statement.</summary>
    [Range(1, 10_000, ErrorMessage = "Outbound:SchedulerBatchSize must be between {1} and {2}.")]
    public int SchedulerBatchSize { get; set; } = 256;

    /// <summary>An endpoint whose every push has failed for this long is disabled (validation status failed, with the reason).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "Outbound:DisableAfter must be between {1} and {2}.")]
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How long a claim holds a delivery: longer than a wait for a slot and a push may take, so only a dead instance's claims lapse.</summary>
    public TimeSpan ClaimFor => SlotWait + Timeout + TimeSpan.FromMinutes(1);

    /// <summary>The retry rules of <see cref="RetrySchedule"/>.</summary>
    public Core.Delivery.RetryPolicy Policy => _policy ??= new(Schedule);

    /// <summary>The parsed <see cref="RetrySchedule"/>.</summary>
    public IReadOnlyList<TimeSpan> Schedule => _schedule ??= Core.Subscriptions.RetrySchedule.Parse(RetrySchedule) ?? [];


    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Core.Subscriptions.RetrySchedule.Parse(RetrySchedule) is null)
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(RetrySchedule)} must be comma-separated delays such as '10s, 30s, 1m, 1h' (ms, s, m, h, d; at most 7 days each), not '{RetrySchedule}'.",
                [nameof(RetrySchedule)]);
        }
    }
}
