using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Subscriptions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Validation;

/// <summary>
/// Sends the validation message of a pending subscription again when its attempt is overdue by
/// <see cref="ValidationOptions.MessageGrace"/>: the message was lost, purged, deleted by hand or poisoned, and the
/// subscription would otherwise stay pending for ever. PostgreSQL remembers what is pending; the queue only carries it.
/// Runs beside the validation function; rows are taken with SKIP LOCKED, so any number of instances may sweep.
/// </summary>
internal sealed partial class ValidationSweeper(
    SubscriptionStore store,
    IEventQueues queues,
    IOptions<ValidationOptions> options,
    TimeProvider time,
    ILogger<ValidationSweeper> logger) : BackgroundService
{
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    /// <returns>How many validation messages were sent again.</returns>
    internal async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        IReadOnlyList<Core.Subscriptions.ValidationMessage> due;
        do
        {
            due = await store.SweepDueValidationsAsync(time.GetUtcNow(), options.Value.MessageGrace, BatchSize, cancellationToken);
            foreach (var message in due)
            {
                await queues.SendValidationAsync(message, null, cancellationToken);
                LogResent(logger, message.SubscriptionId, message.Attempt);
            }

            total += due.Count;
        }
        while (due.Count == BatchSize);

        return total;
    }

    [LoggerMessage(LogEventIds.Resent, LogLevel.Warning, "Validation attempt {Attempt} of subscription {SubscriptionId} was overdue (its message was lost); sent again")]
    private static partial void LogResent(ILogger logger, Guid subscriptionId, int attempt);

    [LoggerMessage(LogEventIds.SweepFailed, LogLevel.Warning, "The validation sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
