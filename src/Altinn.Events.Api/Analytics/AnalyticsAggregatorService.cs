using Altinn.Events.Api.Retention;
using Altinn.Events.Persistence.Analytics;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Analytics;

/// <summary>
/// Keeps the analytics roll-ups up to date (<see cref="StoreFollowerService"/>): counts the stored events after its cursor
/// in batches (<see cref="AnalyticsStore"/>) until it has caught up, then waits <see cref="AnalyticsOptions.PollInterval"/>.
/// Every API instance may run one; one at a time counts (the store's advisory lock), the others skip the round. Once per
/// <c>Retention:Interval</c> it deletes the roll-ups older than <c>Retention:Days</c>, as partition maintenance drops the events.
/// </summary>
internal sealed partial class AnalyticsAggregatorService(
    AnalyticsStore store,
    AnalyticsRetention retention,
    IOptions<AnalyticsOptions> options,
    IOptions<RetentionOptions> retentionOptions,
    TimeProvider time,
    ILogger<AnalyticsAggregatorService> logger) : StoreFollowerService(retentionOptions, time)
{
    protected override bool Runs => options.Value.Aggregate;

    protected override TimeSpan PollInterval => options.Value.PollInterval;

    protected override async Task RetainAsync(CancellationToken cancellationToken)
    {
        var deleted = await retention.DeleteBeforeAsync(Time.GetUtcNow() - TimeSpan.FromDays(RetentionSettings.Days), cancellationToken);
        if (deleted > 0)
        {
            LogExpired(logger, deleted);
        }
    }

    protected override async Task<bool> NextBatchAsync(CancellationToken cancellationToken)
    {
        var result = await store.AggregateNextAsync(options.Value.BatchSize, cancellationToken);
        if (result.Events > 0)
        {
            LogCounted(logger, result.Events, result.Instances, result.Cursor);
        }

        return result.Events == options.Value.BatchSize;
    }

    // Nothing was counted of the failed batch (its transaction rolled back): the next round counts it again.
    protected override void LogFailed(Exception exception) => LogFailed(logger, exception);

    [LoggerMessage(LogEventIds.AnalyticsCounted, LogLevel.Debug, "Analytics counted {Events} events ({Instances} instances changed), up to sequence {Cursor}")]
    private static partial void LogCounted(ILogger logger, int events, int instances, long cursor);

    [LoggerMessage(LogEventIds.AnalyticsFailed, LogLevel.Warning, "Analytics aggregation failed; the batch is counted again at the next round")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEventIds.AnalyticsRowsDeleted, LogLevel.Information, "Deleted {Rows} expired analytics roll-up rows")]
    private static partial void LogExpired(ILogger logger, long rows);
}
