using Altinn.Events.Core.Events;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Publishing;

/// <summary>
/// Moves committed outbox rows to the inbound queue, many event references per message, and leases the rows once the
/// queue accepted them; the inbound stage deletes a row when it has recorded the event's deliveries, and a row whose lease
/// ends first is sent again. Woken by the writer after each commit, and polling besides for rows of other instances, left
/// by a crash, or whose lease ended. Every API instance runs one; they never take the same rows at once.
/// </summary>
internal sealed partial class OutboxRelayService(
    Outbox outbox,
    IOutboxSignal signal,
    IEventQueues queues,
    IOptions<RelayOptions> options,
    TimeProvider time,
    ILogger<OutboxRelayService> logger) : BackgroundService
{

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var roundStart = time.GetTimestamp();
            var sent = 0;
            try
            {
                int relayed;
                do
                {
                    (relayed, var resent) = await outbox.RelayAsync(o.RowsPerTransaction, time.GetUtcNow(), o.Lease, o.MaxLease, SendAsync, stoppingToken);
                    sent += relayed;
                    if (resent > 0)
                    {
                        LogResent(logger, resent, o.Lease);
                    }
                }
                while (relayed == o.RowsPerTransaction);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, ex);
            }

            await signal.WaitAsync(o.PollInterval, time, stoppingToken);
            await GatherAsync(sent, roundStart, stoppingToken);
        }
    }

    /// <summary>
    /// After a round that sent rows, the next starts no sooner than <see cref="RelayOptions.Gather"/> after it began, so
    /// under load each round (a queue message and a lease statement per 256 events at most) carries what committed in
    /// that time rather than in the few milliseconds one round takes. After an idle round a wake-up is served at once.
    /// </summary>
    private async Task GatherAsync(int sent, long roundStart, CancellationToken cancellationToken)
    {
        var rest = options.Value.Gather - time.GetElapsedTime(roundStart);
        if (sent > 0 && rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, time, cancellationToken);
        }
    }

    /// <summary>Sends the references as queue messages of at most <see cref="RelayOptions.EventsPerMessage"/> each.</summary>
    internal async Task SendAsync(IReadOnlyList<EventReference> references, CancellationToken cancellationToken)
    {
        await Task.WhenAll(references.Chunk(options.Value.EventsPerMessage).Select(chunk =>
            queues.SendInboundAsync(new InboundMessage(chunk), cancellationToken)));
    }

    [LoggerMessage(LogEventIds.Resent, LogLevel.Information, "Sent {Rows} outbox rows again: their events were not matched within their lease (at least {Lease}); their queue messages were lost or are still waiting")]
    private static partial void LogResent(ILogger logger, int rows, TimeSpan lease);

    [LoggerMessage(LogEventIds.RelayFailed, LogLevel.Warning, "The outbox relay failed; the rows stay and are sent again")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
