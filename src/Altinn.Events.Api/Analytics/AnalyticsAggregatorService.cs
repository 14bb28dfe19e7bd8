using Altinn.Events.Persistence.Analytics;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Analytics;

/// <summary>
/// Keeps the analytics roll-ups up to date: a loop of its own, off the publish path, that counts the stored events after
/// its cursor in batches (<see cref="AnalyticsStore"/>) until it has caught up, then waits <see cref="AnalyticsOptions.PollInterval"/>.
/// Every API instance may run one; one at a time counts (the store's advisory lock), the others skip the round. Once per <c>Retention:Interval</c> it deletes
/// the roll-ups older than <c>Retention:Days</c>, as partition maintenance drops the events.
/// </summary>
internal sealed partial class AnalyticsAggregatorService(
    AnalyticsStore store,
    AnalyticsRetention retention,
    IOptions<AnalyticsOptions> options,
    IOptions<RetentionOptions> retentionOptions,
    TimeProvider time,
    ILogger<AnalyticsAggregatorService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        long? retainedAt = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (retainedAt is null || time.GetElapsedTime(retainedAt.Value) >= retentionOptions.Value.Interval)
                {
                    retainedAt = time.GetTimestamp();
                    var deleted = await retention.DeleteBeforeAsync(time.GetUtcNow() - TimeSpan.FromDays(retentionOptions.Value.Days), stoppingToken);
                    if (deleted > 0)
                    {
                        LogExpired(logger, deleted);
                    }
                }

                if (o.Aggregate)
                {
                    AggregationResult result;
                    do
                    {
                        result = await store.AggregateNextAsync(o.BatchSize, stoppingToken);
                        if (result.Events > 0)
                        {
                            LogCounted(logger, result.Events, result.Instances, result.Cursor);
                        }
                    }
                    while (result.Events == o.BatchSize && !stoppingToken.IsCancellationRequested);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Nothing was counted of the failed batch (its transaction rolled back): the next round counts it again.
                LogFailed(logger, ex);
            }

            await Task.Delay(o.PollInterval, time, stoppingToken);
        }
    }

    [LoggerMessage(LogEventIds.AnalyticsCounted, LogLevel.Debug, "Analytics counted {Events} events ({Instances} instances changed), up to sequence {Cursor}")]
    private static partial void LogCounted(ILogger logger, int events, int instances, long cursor);

    [LoggerMessage(LogEventIds.AnalyticsFailed, LogLevel.Warning, "Analytics aggregation failed; the batch is counted again at the next round")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEventIds.AnalyticsRowsDeleted, LogLevel.Information, "Deleted {Rows} expired analytics roll-up rows")]
    private static partial void LogExpired(ILogger logger, long rows);
}
