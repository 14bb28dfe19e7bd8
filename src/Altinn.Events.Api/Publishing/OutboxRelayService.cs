using System.Text.Json;
using Altinn.Events.Core.Events;
using Altinn.Events.Messaging;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Publishing;

/// <summary>
/// Moves committed outbox rows to the inbound queue, many event references per message, and deletes the rows only
/// after the queue accepted them. Woken by the writer after each commit, and polling besides for rows of other
/// instances or left by a crash. Every API instance runs one; they never take the same rows.
/// </summary>
internal sealed partial class OutboxRelayService(
    Outbox outbox,
    IOutboxSignal signal,
    IQueueSender queues,
    IOptions<QueueOptions> queueOptions,
    IOptions<RelayOptions> options,
    TimeProvider time,
    ILogger<OutboxRelayService> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int relayed;
                do
                {
                    relayed = await outbox.RelayAsync(o.RowsPerTransaction, SendAsync, stoppingToken);
                }
                while (relayed == o.RowsPerTransaction);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, ex);
            }

            await signal.WaitAsync(o.PollInterval, time, stoppingToken);
        }
    }

    /// <summary>Sends the references as queue messages of at most <see cref="RelayOptions.EventsPerMessage"/> each.</summary>
    internal async Task SendAsync(IReadOnlyList<EventReference> references, CancellationToken cancellationToken)
    {
        var queue = queueOptions.Value.InboundQueue;
        await Task.WhenAll(references.Chunk(options.Value.EventsPerMessage).Select(chunk =>
            queues.SendAsync(queue, JsonSerializer.Serialize(new InboundMessage(chunk), Json), null, cancellationToken)));
    }

    [LoggerMessage(3201, LogLevel.Warning, "The outbox relay failed; the rows stay and are sent again")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
