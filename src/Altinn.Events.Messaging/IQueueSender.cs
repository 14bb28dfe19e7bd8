using Altinn.Events.Messaging.Wakeups;

namespace Altinn.Events.Messaging;

/// <summary>Sends message bodies to a named queue. Stage logic depends on this, not on the Azure SDK.</summary>
public interface IQueueSender
{
    /// <param name="queueName">The queue to send to.</param>
    /// <param name="body">The message text (JSON), at most 64 KB.</param>
    /// <param name="visibilityDelay">How long the message stays invisible; null sends it visible at once.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    Task SendAsync(string queueName, string body, TimeSpan? visibilityDelay, CancellationToken cancellationToken);
}

internal sealed class AzureQueueSender(QueueClientFactory factory, IQueueAnnouncer announcer) : IQueueSender
{
    // Messages live until they are processed; the storage default (7 days) would silently drop a
    // delivery that waits out a long outage.
    private static readonly TimeSpan NeverExpire = TimeSpan.FromSeconds(-1);

    public async Task SendAsync(string queueName, string body, TimeSpan? visibilityDelay, CancellationToken cancellationToken)
    {
        await factory.GetQueue(queueName).SendMessageAsync(body, visibilityDelay, NeverExpire, cancellationToken);
        if (visibilityDelay is not { Ticks: > 0 })
        {
            // Visible now: wake the queue's listeners rather than let them find it at their next poll.
            announcer.Announce(queueName);
        }
    }
}
