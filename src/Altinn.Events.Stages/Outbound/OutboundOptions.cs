using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Stages.Outbound;

/// <summary>The outbound stage (webhook pushes), bound from <c>Outbound</c>.</summary>
public sealed class OutboundOptions : IValidatableObject
{
    public const string SectionName = "Outbound";

    /// <summary>
    /// Delays before the second, third, ... push of a delivery, comma-separated. A delivery gets one attempt plus one
    /// per entry (12 by default); after the last it goes to the poison queue and is marked failed.
    /// </summary>
    public string RetrySchedule { get; set; } = "10s, 30s, 1m, 5m, 10m, 30m, 1h, 3h, 6h, 12h, 12h";

    /// <summary>How long an endpoint has to answer one push.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Outbound:Timeout must be between {1} and {2}.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pushes in flight to one endpoint (scheme, host and path) in this process.</summary>
    [Range(1, 1000, ErrorMessage = "Outbound:MaxConcurrencyPerEndpoint must be between {1} and {2}.")]
    public int MaxConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Pushes in flight in this process, across all endpoints.</summary>
    [Range(1, 100_000, ErrorMessage = "Outbound:MaxConcurrency must be between {1} and {2}.")]
    public int MaxConcurrency { get; set; } = 512;

    /// <summary>An endpoint whose every push has failed for this long is disabled (validation status failed, with the reason).</summary>
    /// <summary>
    /// How long a push waits for a free slot of its endpoint before it is put back on the queue for later. A waiting push
    /// is only a task, not a listener slot (the message is handed on after <see cref="HoldMessageFor"/>), so a busy but
    /// healthy endpoint is served in turn instead of having its deliveries bounced to the retry schedule.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Outbound:SlotWait must be between {1} and {2}.")]
    public TimeSpan SlotWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a message waits for its pushes. Pushes still running then (a slow endpoint) are handed on: a copy of each
    /// is queued to become visible after the push must have ended, and the message completes, so a hanging endpoint holds
    /// no listener slot for long. The copy finds the attempt recorded and does nothing, unless this process died.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Outbound:HoldMessageFor must be between {1} and {2}.")]
    public TimeSpan HoldMessageFor { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "Outbound:DisableAfter must be between {1} and {2}.")]
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>The parsed <see cref="RetrySchedule"/>.</summary>
    public IReadOnlyList<TimeSpan> Schedule => Core.Subscriptions.RetrySchedule.Parse(RetrySchedule) ?? [];

    /// <summary>Attempts a delivery gets: the first plus one per schedule entry.</summary>
    public int MaxAttempts => Schedule.Count + 1;

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
