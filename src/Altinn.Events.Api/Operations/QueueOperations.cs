using System.Text.Json;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Messages;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Operations;

/// <summary>A queue the operator API may touch: one of the service's queues, or its poison queue.</summary>
/// <param name="Name">Its name.</param>
/// <param name="MainQueue">For a poison queue the queue it belongs to; null for a main queue.</param>
internal sealed record KnownQueue(string Name, string? MainQueue)
{
    public bool IsPoison => MainQueue is not null;
}

/// <summary>
/// List, peek, re-drive and discard on the storage queues. Azure queues delete only with a pop receipt, so redrive and
/// discard receive messages (invisible for <see cref="LeaseTime"/>), act on the wanted ones, and make the others
/// visible again at once. A redrive sends the original body to the main queue and deletes the poison message only
/// after the send succeeded: a crash in between leaves a duplicate, never a loss.
/// </summary>
internal sealed partial class QueueOperations(QueueClientFactory queues, IQueueSender sender, IOptions<QueueOptions> options, ILogger<QueueOperations> logger)
{
    /// <summary>The most messages one peek returns (the storage service's limit for one call).</summary>
    public const int PeekLimit = 32;

    /// <summary>The most messages one redrive or discard moves or deletes.</summary>
    public const int ActionLimit = 1000;

    // Long enough to finish a batch; short, so messages a crashed call held come back soon.
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);

    // Messages are examined at most this many times the wanted count, so a call on a long queue ends.
    private const int ExamineLimit = 5000;

    public IReadOnlyList<KnownQueue> Known() =>
        [.. options.Value.AllQueues().SelectMany(q => new[] { new KnownQueue(q, null), new KnownQueue(QueueClientFactory.PoisonQueueName(q), q) })];

    public KnownQueue? Find(string name) => Known().FirstOrDefault(q => string.Equals(q.Name, name, StringComparison.Ordinal));

    public async Task<IReadOnlyList<OperatorQueue>> ListAsync(CancellationToken cancellationToken)
    {
        var result = new List<OperatorQueue>();
        foreach (var queue in Known())
        {
            try
            {
                var properties = await queues.GetQueue(queue.Name).GetPropertiesAsync(cancellationToken);
                result.Add(new OperatorQueue(queue.Name, Kind(queue), queue.MainQueue, true, properties.Value.ApproximateMessagesCountLong));
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                result.Add(new OperatorQueue(queue.Name, Kind(queue), queue.MainQueue, false, null));
            }
        }

        return result;
    }

    public async Task<IReadOnlyList<OperatorMessage>?> PeekAsync(KnownQueue queue, int max, CancellationToken cancellationToken)
    {
        try
        {
            var peeked = (await queues.GetQueue(queue.Name).PeekMessagesAsync(max, cancellationToken)).Value;
            return [.. peeked.Select(m => new OperatorMessage(
                m.MessageId, m.InsertedOn, m.DequeueCount, m.Body.ToString(), queue.IsPoison ? ReadEnvelope(m.Body.ToString())?.Details : null))];
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task<RedriveResponse> RedriveAsync(KnownQueue poison, IReadOnlySet<string>? ids, int max, CancellationToken cancellationToken)
    {
        var main = poison.MainQueue!;
        var moved = new List<string>();
        var skipped = new List<SkippedMessage>();
        var seen = await TakeAsync(poison, ids, max, async (message, client) =>
        {
            var envelope = ReadEnvelope(message.Body.ToString());
            if (envelope is null)
            {
                skipped.Add(new SkippedMessage(message.MessageId, "The body is not a poison envelope (no original body to send)."));
                return false;
            }

            if (!envelope.Details.Redrivable)
            {
                skipped.Add(new SkippedMessage(
                    message.MessageId,
                    $"A failed delivery: the outbound stage ignores its body. Use POST /events/api/v1/subscriptions/{envelope.Details.SubscriptionId}/redeliver."));
                return false;
            }

            // Send first, delete second: a failure between the two leaves the message in both queues, never in neither.
            await sender.SendAsync(main, envelope.Body, null, cancellationToken);
            await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            moved.Add(message.MessageId);
            return true;
        }, cancellationToken);

        if (moved.Count > 0)
        {
            LogRedriven(logger, moved.Count, poison.Name, main);
        }

        return new RedriveResponse(moved.Count, main, moved, skipped, NotFound(ids, seen));
    }

    public async Task<DiscardResponse> DiscardAsync(KnownQueue poison, IReadOnlySet<string>? ids, int max, CancellationToken cancellationToken)
    {
        var discarded = new List<string>();
        var seen = await TakeAsync(poison, ids, max, async (message, client) =>
        {
            await client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            discarded.Add(message.MessageId);
            return true;
        }, cancellationToken);

        if (discarded.Count > 0)
        {
            LogDiscarded(logger, discarded.Count, poison.Name);
        }

        return new DiscardResponse(discarded.Count, discarded, NotFound(ids, seen));
    }

    /// <summary>
    /// Receives messages until <paramref name="max"/> were acted on (or every id was found, or the queue is exhausted),
    /// hands the wanted ones to <paramref name="act"/> (true: it removed the message), and makes every other received
    /// message visible again before returning. Returns the ids it saw.
    /// </summary>
    private async Task<HashSet<string>> TakeAsync(
        KnownQueue queue, IReadOnlySet<string>? ids, int max, Func<QueueMessage, QueueClient, Task<bool>> act, CancellationToken cancellationToken)
    {
        var client = queues.GetQueue(queue.Name);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var putBack = new List<QueueMessage>();
        var done = 0;
        try
        {
            while (done < max && seen.Count < ExamineLimit && (ids is null || ids.Any(id => !seen.Contains(id))))
            {
                // Without ids, receive only what is still wanted, so nothing is held that need not be.
                var wanted = ids is null ? Math.Min(PeekLimit, max - done) : PeekLimit;
                QueueMessage[] batch;
                try
                {
                    batch = (await client.ReceiveMessagesAsync(wanted, LeaseTime, cancellationToken)).Value;
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    break; // The queue does not exist: nothing to take.
                }

                var fresh = batch.Where(m => seen.Add(m.MessageId)).ToList();
                putBack.AddRange(batch.Where(m => !fresh.Contains(m)));
                if (fresh.Count == 0)
                {
                    break;
                }

                foreach (var message in fresh)
                {
                    if (done < max && (ids is null || ids.Contains(message.MessageId)) && await act(message, client))
                    {
                        done++;
                    }
                    else
                    {
                        putBack.Add(message);
                    }
                }
            }
        }
        finally
        {
            foreach (var message in putBack)
            {
                try
                {
                    await client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 400)
                {
                    // Gone, or received again by someone else: nothing to put back.
                }
            }
        }

        return seen;
    }

    private static IReadOnlyList<string> NotFound(IReadOnlySet<string>? ids, HashSet<string> seen) =>
        ids is null ? [] : [.. ids.Where(id => !seen.Contains(id)).Order(StringComparer.Ordinal)];

    private static string Kind(KnownQueue queue) => queue.IsPoison ? "poison" : "main";

    /// <summary>Reads the listener's <c>PoisonMessage</c> or the outbound stage's <c>DeliveryPoisonMessage</c>; null for anything else.</summary>
    internal static Envelope? ReadEnvelope(string text)
    {
        try
        {
            var raw = JsonSerializer.Deserialize(text, QueueJsonContext.Default.PoisonEnvelope);
            if (raw?.Body is null || raw.Reason is null)
            {
                return null;
            }

            var details = new PoisonDetails(
                raw.Queue, raw.MessageId, raw.DequeueCount, raw.Reason, raw.FailedAt, raw.InsertedOn, raw.SubscriptionId, raw.EventId, raw.SubscriptionId is null);
            return new Envelope(details, raw.Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Envelope(PoisonDetails Details, string Body);

    [LoggerMessage(LogEventIds.Redriven, LogLevel.Warning, "Operator re-drove {Count} messages from {PoisonQueue} to {Queue}")]
    private static partial void LogRedriven(ILogger logger, int count, string poisonQueue, string queue);

    [LoggerMessage(LogEventIds.Discarded, LogLevel.Warning, "Operator discarded {Count} messages from {PoisonQueue}")]
    private static partial void LogDiscarded(ILogger logger, int count, string poisonQueue);
}
