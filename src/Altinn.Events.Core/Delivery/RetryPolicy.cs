namespace Altinn.Events.Core.Delivery;

/// <summary>
/// When a failed delivery is tried again, when it is given up, and when an open endpoint is probed, from the retry
/// schedule (<c>Outbound:RetrySchedule</c>): one attempt plus one per entry; a delivery that waits on an open endpoint
/// is given up once the schedule's whole span has passed since its first failure; an open endpoint is probed after each
/// entry in turn, the last repeating. <c>Retry-After</c> can only make a wait longer. A wait is at most 7 days.
/// </summary>
public sealed class RetryPolicy
{
    private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(7);
    private readonly IReadOnlyList<TimeSpan> _schedule;

    public RetryPolicy(IReadOnlyList<TimeSpan> schedule)
    {
        _schedule = schedule.Count > 0 ? schedule : [TimeSpan.FromSeconds(10)];
        MaxAttempts = schedule.Count + 1;
        Span = TimeSpan.FromTicks(_schedule.Sum(d => d.Ticks));
    }

    /// <summary>Attempts a delivery gets: the first plus one per schedule entry.</summary>
    public int MaxAttempts { get; }

    /// <summary>The schedule's total span: how long a delivery may wait after its first failure.</summary>
    public TimeSpan Span { get; }

    /// <summary>When to try again after failed attempt <paramref name="attempt"/> (1-based) at <paramref name="at"/>; null: give up.</summary>
    public DateTimeOffset? NextAttempt(int attempt, DateTimeOffset at, TimeSpan? retryAfter) =>
        attempt >= MaxAttempts ? null : at + Delay(_schedule[Math.Max(attempt, 1) - 1], retryAfter);

    /// <summary>When an open endpoint is probed next, after <paramref name="failedProbes"/> probes failed since it opened.</summary>
    public DateTimeOffset NextProbe(int failedProbes, DateTimeOffset at, TimeSpan? retryAfter) =>
        at + Delay(_schedule[Math.Clamp(failedProbes, 0, _schedule.Count - 1)], retryAfter);

    /// <summary>When a delivery that first failed (or first had to wait) at <paramref name="firstFailedAt"/> is given up.</summary>
    public DateTimeOffset GiveUpAt(DateTimeOffset firstFailedAt) => firstFailedAt + Span;

    /// <summary>The scheduled wait, or longer when the endpoint asked (Retry-After); at most 7 days.</summary>
    public static TimeSpan Delay(TimeSpan scheduled, TimeSpan? retryAfter)
    {
        var delay = retryAfter is { } asked && asked > scheduled ? asked : scheduled;
        return delay > LongestDelay ? LongestDelay : delay;
    }
}

/// <summary>Timing rules of deliveries that the API, the inbound and the outbound stage share.</summary>
public static class DeliveryTimes
{
    /// <summary>
    /// A queued delivery whose queue message has not been taken this long after it was queued is taken by the
    /// outbound stage's scheduler from PostgreSQL instead (the message was lost, deleted or poisoned). Both paths claim the
    /// delivery atomically, so it is pushed once either way.
    /// </summary>
    public static readonly TimeSpan QueuedGrace = TimeSpan.FromMinutes(2);
}
