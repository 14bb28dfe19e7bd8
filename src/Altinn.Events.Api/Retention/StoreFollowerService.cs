using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Retention;

/// <summary>
/// A loop that follows the event store from a cursor of its own, off the publish path (the analytics roll-up, the holder
/// index). Once per <c>Retention:Interval</c> it deletes what it keeps about expired events; when this instance runs it,
/// it takes batches until one comes back short (caught up), then waits its poll interval. A failed round is logged and
/// tried again at the next: a batch commits with its cursor, so a failed one left nothing behind.
/// </summary>
internal abstract class StoreFollowerService(IOptions<RetentionOptions> retention, TimeProvider time) : BackgroundService
{
    /// <summary>The clock the loop waits by.</summary>
    protected TimeProvider Time => time;

    /// <summary>How long events are kept, and how often expired data is deleted.</summary>
    protected RetentionOptions RetentionSettings => retention.Value;

    /// <summary>Whether this instance follows the store (retention runs either way).</summary>
    protected abstract bool Runs { get; }

    /// <summary>How long the loop waits once it has caught up.</summary>
    protected abstract TimeSpan PollInterval { get; }

    /// <summary>Deletes what this loop keeps about expired events.</summary>
    protected abstract Task RetainAsync(CancellationToken cancellationToken);

    /// <summary>Takes the next batch after the cursor; true when it was full, so more may be waiting.</summary>
    protected abstract Task<bool> NextBatchAsync(CancellationToken cancellationToken);

    /// <summary>Logs a failed round.</summary>
    protected abstract void LogFailed(Exception exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? retainedAt = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (retainedAt is null || time.GetElapsedTime(retainedAt.Value) >= RetentionSettings.Interval)
                {
                    retainedAt = time.GetTimestamp();
                    await RetainAsync(stoppingToken);
                }

                if (Runs)
                {
                    while (await NextBatchAsync(stoppingToken) && !stoppingToken.IsCancellationRequested)
                    {
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(ex);
            }

            await Task.Delay(PollInterval, time, stoppingToken);
        }
    }
}
