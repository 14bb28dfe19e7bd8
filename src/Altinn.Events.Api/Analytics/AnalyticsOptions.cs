using System.ComponentModel.DataAnnotations;

namespace Altinn.Events.Api.Analytics;

/// <summary>The analytics aggregator's settings, bound from <c>Analytics</c>.</summary>
public sealed class AnalyticsOptions
{
    public const string SectionName = "Analytics";

    /// <summary>Whether this instance runs the aggregator (retention of the roll-ups runs either way). Several may: they take turns.</summary>
    public bool Aggregate { get; set; } = true;

    /// <summary>Most events counted in one transaction.</summary>
    [Range(1, 100_000, ErrorMessage = "Analytics:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>How long the aggregator waits when it has caught up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Analytics:PollInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest range one hourly query may cover.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "92.00:00:00", ErrorMessage = "Analytics:MaxHourlyRange must be between 1 hour and 92 days.")]
    public TimeSpan MaxHourlyRange { get; set; } = TimeSpan.FromDays(31);

    /// <summary>Longest range one daily query may cover (the retained 90 days and a day either side).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3660.00:00:00", ErrorMessage = "Analytics:MaxDailyRange must be between 1 and 3660 days.")]
    public TimeSpan MaxDailyRange { get; set; } = TimeSpan.FromDays(92);
}
