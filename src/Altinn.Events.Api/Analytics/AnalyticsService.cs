using Altinn.Events.Api.Queries;
using Altinn.Events.Core.Analytics;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Identity;
using Altinn.Events.Persistence.Analytics;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Analytics;

/// <summary>A validated analytics range: whole periods of the interval.</summary>
internal sealed record AnalyticsRange(DateTimeOffset From, DateTimeOffset To, bool ByDay)
{
    public string Interval => ByDay ? "day" : "hour";

    public DateOnly FromDay => DateOnly.FromDateTime(From.UtcDateTime);

    /// <summary>The last day the range touches (inclusive).</summary>
    public DateOnly ToDay => DateOnly.FromDateTime(To.UtcDateTime.AddTicks(-1));
}

/// <summary>Validates analytics requests, decides who may read them, and shapes the roll-ups into answers.</summary>
internal sealed class AnalyticsService(AnalyticsReader reader, IAuthorizationDecider decider, IOptions<AnalyticsOptions> options, TimeProvider time)
{
    public const string Hour = "hour";
    public const string Day = "day";

    /// <summary>Default range when from is not given: this long before to.</summary>
    public static readonly TimeSpan DefaultRange = TimeSpan.FromDays(7);

    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// from, to (RFC 3339; to defaults to now, from to 7 days before to) and interval (hour | day, default day). The range
    /// is widened to whole periods (from rounded down, to up), must be non-empty and at most the interval's maximum.
    /// </summary>
    public AnalyticsRange? ParseRange(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var from = QueryRequest.Time(query, "from", errors);
        var to = QueryRequest.Time(query, "to", errors);
        var interval = QueryRequest.Single(query, "interval", errors) ?? Day;
        if (interval is not (Hour or Day))
        {
            errors["interval"] = ["interval must be hour or day."];
        }

        foreach (var (name, value) in new[] { ("from", from), ("to", to) })
        {
            if (value is { } t && (t < Earliest || t > Latest))
            {
                errors[name] = [$"{name} must lie between {Earliest:yyyy-MM-dd} and {Latest:yyyy-MM-dd}."];
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        var byDay = interval == Day;
        var end = Ceiling(to ?? time.GetUtcNow(), byDay);
        var start = Floor(from ?? end - DefaultRange, byDay);
        if (from is not null && to is not null && from >= to)
        {
            errors["to"] = ["to must be later than from."];
            return null;
        }

        if (start >= end)
        {
            errors["from"] = ["from must be earlier than to (which defaults to now)."];
            return null;
        }

        var max = byDay ? options.Value.MaxDailyRange : options.Value.MaxHourlyRange;
        if (end - start > max)
        {
            errors["from"] = [$"The range from {start:O} to {end:O} is longer than the {max.TotalDays:0.#} days an interval of {interval} may cover."];
            return null;
        }

        return new AnalyticsRange(start, end, byDay);
    }

    /// <summary>
    /// Null when the caller may read the app's analytics: its owner (<see cref="AppOwner"/>, the rule of the app queries)
    /// whom the decision point permits to read the app's events about any party. Otherwise the 403's detail.
    /// </summary>
    public async Task<string?> AppRefusalAsync(Caller caller, string org, string app, CancellationToken cancellationToken)
    {
        if (AppOwner.Refusal(caller, org, app, "parties read their own events at /app/party") is { } refusal)
        {
            return refusal;
        }

        var permitted = await decider.DecideAsync([new DecisionRequest(caller.Consumer, Actions.Read, new DecisionResource(AppResources.For(org, app), null), caller.AuthenticationLevel)], cancellationToken);
        return permitted[0] ? null : $"{caller.Consumer} may not read the events of {org}/{app} about every party.";
    }

    /// <summary>
    /// Null when the caller may read the resource's analytics: as subscribing to the resource needs (the subscribe scope,
    /// checked by the endpoint's policy, and the decision point's <c>subscribe</c>), for the resource as a whole, since the
    /// figures count the events of every party. Otherwise the 403's detail; the same whether or not the resource exists.
    /// </summary>
    public async Task<string?> ResourceRefusalAsync(Caller caller, string resource, CancellationToken cancellationToken)
    {
        var permitted = await decider.DecideAsync([new DecisionRequest(caller.Consumer, Actions.Subscribe, new DecisionResource(resource, null), caller.AuthenticationLevel)], cancellationToken);
        return permitted[0] ? null : $"{caller.Consumer} may not subscribe to the events of {resource} for every party.";
    }

    public async Task<AppAnalytics> AppAsync(string org, string app, AnalyticsRange range, CancellationToken cancellationToken)
    {
        var resource = AppResources.For(org, app);
        var (rows, counts, buckets) = await reader.AppFiguresAsync(resource, range.From, range.To, range.ByDay, range.FromDay, range.ToDay.AddDays(1), cancellationToken);
        var events = EventCounts(rows);
        var byMetric = counts.ToDictionary(c => c.Metric, c => c.Instances, StringComparer.Ordinal);
        var funnel = counts
            .Where(c => c.Metric.StartsWith(InstanceTimeline.TaskMetricPrefix, StringComparison.Ordinal))
            .Select(c => new FunnelStep(c.Metric[InstanceTimeline.TaskMetricPrefix.Length..], c.Instances))
            .OrderByDescending(f => f.Instances).ThenBy(f => f.Task, StringComparer.Ordinal)
            .ToList();
        var durations = buckets
            .GroupBy(b => b.Metric, StringComparer.Ordinal)
            .Select(g => Summarize(g.Key == InstanceTimeline.CompletionMetric ? null : g.Key[InstanceTimeline.TaskMetricPrefix.Length..], [.. g.Select(b => (b.Bucket, b.Count))]))
            .ToList();
        return new AppAnalytics(
            resource,
            range.From,
            range.To,
            range.Interval,
            events,
            range.FromDay,
            range.ToDay,
            byMetric.GetValueOrDefault(InstanceTimeline.CreatedMetric),
            byMetric.GetValueOrDefault(InstanceTimeline.CompletedMetric),
            funnel,
            [.. durations.Where(d => d.Task is not null).OrderBy(d => d.Task, StringComparer.Ordinal)],
            durations.FirstOrDefault(d => d.Task is null));
    }

    public async Task<ResourceAnalytics> ResourceAsync(string resource, AnalyticsRange range, CancellationToken cancellationToken) =>
        new(resource, range.From, range.To, range.Interval, await EventsAsync(resource, range, cancellationToken));

    private async Task<IReadOnlyList<EventTypeCount>> EventsAsync(string resource, AnalyticsRange range, CancellationToken cancellationToken) =>
        EventCounts(await reader.EventCountsAsync(resource, range.From, range.To, range.ByDay, cancellationToken));

    private static List<EventTypeCount> EventCounts(IReadOnlyList<TypePeriodCount> rows) =>
        [.. rows.Select(r => new EventTypeCount(r.Type, new DateTimeOffset(DateTime.SpecifyKind(r.Start, DateTimeKind.Utc)), r.Events))];

    private static DurationSummary Summarize(string? task, List<(short Bucket, long Count)> buckets) =>
        new(task, buckets.Sum(b => b.Count), DurationHistogram.PercentileSeconds(buckets, 0.5)!.Value, DurationHistogram.PercentileSeconds(buckets, 0.9)!.Value);

    private static DateTimeOffset Floor(DateTimeOffset t, bool byDay)
    {
        var u = t.UtcDateTime;
        return new DateTimeOffset(byDay ? u.Date : new DateTime(u.Year, u.Month, u.Day, u.Hour, 0, 0, DateTimeKind.Utc), TimeSpan.Zero);
    }

    private static DateTimeOffset Ceiling(DateTimeOffset t, bool byDay)
    {
        var floor = Floor(t, byDay);
        return floor == t ? floor : floor + (byDay ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1));
    }
}
