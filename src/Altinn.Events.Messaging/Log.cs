using Microsoft.Extensions.Logging;

namespace Altinn.Events.Messaging;

internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Queue function {Function} listening on {Queue}")]
    public static partial void ListenerStarted(ILogger logger, string function, string queue);

    [LoggerMessage(1002, LogLevel.Information, "Queue function {Function} stopped")]
    public static partial void ListenerStopped(ILogger logger, string function);

    [LoggerMessage(1003, LogLevel.Warning, "Queue function {Function} could not receive from {Queue}; retrying")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception, string function, string queue);

    [LoggerMessage(1004, LogLevel.Information, "Queue function {Function} draining {Count} in-flight messages (up to {Timeout})")]
    public static partial void Draining(ILogger logger, string function, int count, TimeSpan timeout);

    [LoggerMessage(1005, LogLevel.Warning, "Queue function {Function} failed on message {MessageId} (attempt {DequeueCount}); retry in {Delay}")]
    public static partial void TransientFailure(ILogger logger, Exception exception, string function, string messageId, long dequeueCount, TimeSpan delay);

    [LoggerMessage(1006, LogLevel.Error, "Queue function {Function} moved message {MessageId} to the poison queue after {DequeueCount} attempts: {Reason}")]
    public static partial void MovedToPoison(ILogger logger, string function, string messageId, long dequeueCount, string reason);

    [LoggerMessage(1007, LogLevel.Information, "Queue function {Function} released message {MessageId} back to the queue on shutdown")]
    public static partial void Released(ILogger logger, string function, string messageId);

    [LoggerMessage(1008, LogLevel.Warning, "Queue function {Function} lost the lease on message {MessageId}; another receiver has it")]
    public static partial void LeaseLost(ILogger logger, string function, string messageId);

    [LoggerMessage(1009, LogLevel.Warning, "Queue function {Function} could not renew the visibility of message {MessageId}")]
    public static partial void RenewFailed(ILogger logger, Exception exception, string function, string messageId);

    [LoggerMessage(1010, LogLevel.Error, "Queue function {Function} could not settle message {MessageId}; it becomes visible again when its timeout ends")]
    public static partial void SettleFailed(ILogger logger, Exception exception, string function, string messageId);

    [LoggerMessage(1011, LogLevel.Warning, "Queue function {Function} could not process message {MessageId}: {Dependency} is unavailable; the listener pauses and the message waits {Delay}")]
    public static partial void DependencyUnavailable(ILogger logger, Exception exception, string function, string messageId, string dependency, TimeSpan delay);

    [LoggerMessage(4020, LogLevel.Warning, "Webhook connection to {Host} refused: it resolves to a {AddressClass} address")]
    public static partial void WebhookAddressBlocked(ILogger logger, string host, string addressClass);

    [LoggerMessage(4021, LogLevel.Warning, "Webhook connection to {Host} refused: port {Port} is not one webhooks may use (Subscriptions:AllowedPorts)")]
    public static partial void WebhookPortBlocked(ILogger logger, string host, int port);
}
