using System.ComponentModel.DataAnnotations;
using Altinn.Events.Api.Retention;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Queries;

/// <summary>The holder indexer's settings, bound from <c>HolderIndex</c>.</summary>
public sealed class HolderIndexOptions
{
    public const string SectionName = "HolderIndex";

    /// <summary>Whether this instance runs the indexer (retention of the index runs either way). Several may: they take turns.</summary>
    public bool Run { get; set; } = true;

    /// <summary>Most events indexed in one transaction.</summary>
    [Range(1, 100_000, ErrorMessage = "HolderIndex:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// How long the indexer waits when it has caught up. Queries read the store itself past the index, so this bounds how
    /// many events they walk that way, not what they find.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "HolderIndex:PollInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// Keeps the holder index (<see cref="HolderIndexStore"/>) up with the store (<see cref="StoreFollowerService"/>): indexes
/// the events after its cursor in batches until it has caught up, then waits <see cref="HolderIndexOptions.PollInterval"/>.
/// Every API instance may run one; one at a time indexes (the store's advisory lock), the others skip the round. Once per
/// <c>Retention:Interval</c> it deletes the rows of expired events. Caught up, it also takes steps of deleting
/// the rows of withdrawn rights (<see cref="HolderIndexStore.DeleteWithdrawnAsync"/>) until none is left.
/// </summary>
internal sealed partial class HolderIndexerService(
    HolderIndexStore store,
    IOptions<HolderIndexOptions> options,
    IOptions<RetentionOptions> retentionOptions,
    TimeProvider time,
    ILogger<HolderIndexerService> logger) : StoreFollowerService(retentionOptions, time)
{
    protected override bool Runs => options.Value.Run;

    protected override TimeSpan PollInterval => options.Value.PollInterval;

    protected override async Task RetainAsync(CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteExpiredAsync(cancellationToken);
        if (deleted > 0)
        {
            LogExpired(logger, deleted);
        }
    }

    protected override async Task<bool> NextBatchAsync(CancellationToken cancellationToken)
    {
        var result = await store.IndexNextAsync(options.Value.BatchSize, cancellationToken);
        if (result.Events > 0)
        {
            LogIndexed(logger, result.Events, result.Rows, result.Cursor);
        }

        if (result.Events == options.Value.BatchSize)
        {
            return true;
        }

        // Caught up: one step of deleting withdrawn rights' rows (as many rows walked as a batch indexes events), so a
        // backlog of withdrawals never holds the index back. Another step follows at once while the walk goes on or
        // pairs were finished (other holders' may be waiting); the round ends when a step finds nothing to do.
        var swept = await store.DeleteWithdrawnAsync(options.Value.BatchSize, cancellationToken);
        if (swept.Rows > 0 || swept.Finished > 0)
        {
            LogSwept(logger, swept.Rows, swept.Finished, swept.Pairs);
        }

        return swept.More || swept.Finished > 0;
    }

    // Nothing of the failed batch was written (its transaction rolled back): the next round indexes it again.
    protected override void LogFailed(Exception exception) => LogFailed(logger, exception);

    [LoggerMessage(LogEventIds.HolderIndexed, LogLevel.Debug, "Holder index: {Events} events ({Rows} rows), up to sequence {Cursor}")]
    private static partial void LogIndexed(ILogger logger, int events, int rows, long cursor);

    [LoggerMessage(LogEventIds.HolderIndexFailed, LogLevel.Warning, "Holder indexing failed; the batch is indexed again at the next round")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEventIds.HolderWithdrawnDeleted, LogLevel.Debug, "Holder index: deleted {Rows} rows of withdrawn rights; {Finished} of {Pairs} withdrawn pairs of the holder done")]
    private static partial void LogSwept(ILogger logger, int rows, int finished, int pairs);

    [LoggerMessage(LogEventIds.HolderRowsDeleted, LogLevel.Information, "Deleted {Rows} holder index rows of expired events")]
    private static partial void LogExpired(ILogger logger, long rows);
}
