namespace Altinn.Events.Api.Analytics;

/// <summary>Events of one type in one period.</summary>
/// <param name="Type">The CloudEvent type.</param>
/// <param name="Start">The period's start (a whole UTC hour or day, by the events' time).</param>
/// <param name="Count">Events stored with that type whose time lies in the period.</param>
public sealed record EventTypeCount(string Type, DateTimeOffset Start, long Count);

/// <summary>Instances that reached a task of the process (their earliest <c>app.instance.process.movedTo.{task}</c> in the days).</summary>
public sealed record FunnelStep(string Task, long Instances);

/// <summary>How long something took, from log-spaced histograms: within about 9 % of the exact percentile (see the README).</summary>
/// <param name="Task">The task (<c>movedTo.{task}</c> to the instance's next step), or null for creation to completion.</param>
/// <param name="Count">Durations measured (visits of the task, or completed instances).</param>
/// <param name="P50Seconds">The median, in seconds.</param>
/// <param name="P90Seconds">The 90th percentile, in seconds.</param>
public sealed record DurationSummary(string? Task, long Count, double P50Seconds, double P90Seconds);

/// <summary>Analytics of one app for its owner.</summary>
/// <param name="Resource">The app's resource, <c>urn:altinn:resource:app_{org}_{app}</c>.</param>
/// <param name="From">Start of the range (inclusive), as given or defaulted.</param>
/// <param name="To">End of the range (exclusive).</param>
/// <param name="Interval"><c>hour</c> or <c>day</c>: the periods of <paramref name="Events"/>.</param>
/// <param name="Events">Events per type per period, by the events' time; periods without events are left out.</param>
/// <param name="FromDay">First UTC day the instance figures cover.</param>
/// <param name="ToDay">Last UTC day the instance figures cover (inclusive).</param>
/// <param name="InstancesCreated">Instances whose earliest <c>app.instance.created</c> lies in the days.</param>
/// <param name="InstancesCompleted">Instances whose earliest <c>app.instance.process.completed</c> lies in the days.</param>
/// <param name="Funnel">Instances reaching each task, by the day they first reached it; most first.</param>
/// <param name="TaskDurations">Time per task, by the day the task was entered.</param>
/// <param name="Completion">Time from creation to completion, by the day of completion; null when none completed.</param>
public sealed record AppAnalytics(
    string Resource,
    DateTimeOffset From,
    DateTimeOffset To,
    string Interval,
    IReadOnlyList<EventTypeCount> Events,
    DateOnly FromDay,
    DateOnly ToDay,
    long InstancesCreated,
    long InstancesCompleted,
    IReadOnlyList<FunnelStep> Funnel,
    IReadOnlyList<DurationSummary> TaskDurations,
    DurationSummary? Completion);

/// <summary>Analytics of a generic resource.</summary>
/// <param name="Resource">The resource, <c>urn:altinn:resource:{id}</c>.</param>
/// <param name="From">Start of the range (inclusive).</param>
/// <param name="To">End of the range (exclusive).</param>
/// <param name="Interval"><c>hour</c> or <c>day</c>.</param>
/// <param name="Events">Events per type per period, by the events' time.</param>
public sealed record ResourceAnalytics(string Resource, DateTimeOffset From, DateTimeOffset To, string Interval, IReadOnlyList<EventTypeCount> Events);
