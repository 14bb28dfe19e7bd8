namespace Altinn.Events.Messaging.Listener;

/// <summary>
/// A queue-triggered function: the body of what would be a <c>[QueueTrigger]</c> method in Azure Functions.
/// The listener resolves one instance per message from a fresh DI scope.
/// Return normally and the message is deleted. Throw <see cref="PermanentMessageException"/> and it goes
/// to the poison queue at once with the reason. Throw anything else and it is retried later with a
/// growing visibility timeout, until the dequeue limit moves it to the poison queue.
/// </summary>
public interface IQueueFunction
{
    Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken);
}

/// <summary>What a function sees of the message that triggered it.</summary>
/// <param name="QueueName">The queue the message came from.</param>
/// <param name="MessageId">The storage message id (stable across retries).</param>
/// <param name="Body">The message text.</param>
/// <param name="DequeueCount">1 on the first attempt, 2 on the second, ...</param>
/// <param name="InsertedOn">When the message was first enqueued.</param>
public sealed record QueueMessageContext(
    string QueueName,
    string MessageId,
    string Body,
    long DequeueCount,
    DateTimeOffset? InsertedOn);

/// <summary>The message can never succeed (unparsable, refers to nothing); retrying would only waste time.</summary>
public sealed class PermanentMessageException : Exception
{
    public PermanentMessageException(string reason)
        : base(reason)
    {
    }

    public PermanentMessageException(string reason, Exception innerException)
        : base(reason, innerException)
    {
    }

    public PermanentMessageException()
    {
    }
}
