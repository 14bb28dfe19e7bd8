using System.Globalization;

namespace Altinn.Events.Core.Subscriptions;

/// <summary>The retry schedule of validation: the delay before each further attempt; when it runs out, validation fails.</summary>
public static class RetrySchedule
{
    /// <summary>The delay before attempt <paramref name="failedAttempt"/> + 1, or null when the schedule is used up.</summary>
    public static TimeSpan? NextDelay(IReadOnlyList<TimeSpan> schedule, int failedAttempt) =>
        failedAttempt >= 1 && failedAttempt <= schedule.Count ? schedule[failedAttempt - 1] : null;

    /// <summary>
    /// Parses a comma-separated schedule such as <c>10s, 30s, 1m, 5m, 15m, 1h</c> (units ms, s, m, h, d) or TimeSpan
    /// strings (<c>00:00:10</c>); null when any entry is malformed, negative, or over 7 days (the queue's longest delay).
    /// </summary>
    public static IReadOnlyList<TimeSpan>? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var delays = new List<TimeSpan>();
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ParseOne(entry) is not { } delay || delay < TimeSpan.Zero || delay > TimeSpan.FromDays(7))
            {
                return null;
            }

            delays.Add(delay);
        }

        return delays;
    }

    private static TimeSpan? ParseOne(string entry)
    {
        if (TimeSpan.TryParse(entry, CultureInfo.InvariantCulture, out var span) && entry.Contains(':', StringComparison.Ordinal))
        {
            return span;
        }

        var unitStart = entry.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        if (unitStart == 0 || !double.TryParse(entry.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        return entry[unitStart..].Trim() switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" or "min" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
    }
}
