using System.ComponentModel.DataAnnotations;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>Retention and partition settings, bound from <c>Retention</c>.</summary>
public sealed class RetentionOptions
{
    /// <summary>How long events are kept; whole days, expired by dropping their day partitions.</summary>
    [Range(1, 3650)]
    public int Days { get; set; } = 90;

    /// <summary>Day partitions created ahead of today.</summary>
    [Range(2, 60)]
    public int DaysAhead { get; set; } = 7;

    /// <summary>How often partitions are created ahead and expired ones dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Creates the coming days' partitions and drops the expired ones: retention is dropping tables, not DELETE.</summary>
public sealed partial class PartitionMaintenance(NpgsqlDataSource dataSource, TimeProvider time, IOptions<RetentionOptions> options, ILogger<PartitionMaintenance> logger)
{
    // Tables partitioned by day on their registration (or, for the delivery log, attempt) time.
    private static readonly string[] PartitionedTables = ["events", "deliveries", "delivery_attempts"];
    private const long LockKey = 0x416c746e45765074; // "AltnEvPt"

    /// <returns>The partitions dropped.</returns>
    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = now.UtcDateTime.Date;
        var cutoff = now - TimeSpan.FromDays(options.Value.Days);
        var dropped = new List<string>();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // Several instances run this; they take turns.
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = LockKey }, transaction, cancellationToken: cancellationToken));
            foreach (var table in PartitionedTables)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "SELECT ensure_daily_partitions(@table::regclass, (@first AT TIME ZONE 'UTC')::date, @days)",
                    new { table, first = today.AddDays(-1), days = options.Value.DaysAhead + 2 },
                    transaction,
                    cancellationToken: cancellationToken));
                dropped.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                    "SELECT drop_daily_partitions_before(@table::regclass, @cutoff)", new { table, cutoff }, transaction, cancellationToken: cancellationToken)));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // De-duplication keys of expired events, in batches so no transaction grows large.
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM event_keys WHERE key IN (SELECT key FROM event_keys WHERE registered < @cutoff LIMIT 10000)",
                new { cutoff },
                cancellationToken: cancellationToken));
        }
        while (deleted > 0);

        foreach (var name in dropped)
        {
            LogDropped(logger, name);
        }

        return dropped;
    }

    [LoggerMessage(LogEventIds.PartitionsDropped, LogLevel.Information, "Dropped expired partition {Partition}")]
    private static partial void LogDropped(ILogger logger, string partition);
}

internal sealed partial class PartitionMaintenanceService(PartitionMaintenance maintenance, TimeProvider time, IOptions<RetentionOptions> options, ILogger<PartitionMaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await maintenance.RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }

            await Task.Delay(options.Value.Interval, time, stoppingToken);
        }
    }

    [LoggerMessage(LogEventIds.PartitionMaintenanceFailed, LogLevel.Error, "Partition maintenance failed; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
