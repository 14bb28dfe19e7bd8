using Microsoft.Extensions.Logging;

namespace Altinn.Events.Messaging;

internal static partial class Log
{
    [LoggerMessage(LogEventIds.ListenerStarted, LogLevel.Information, "Queue function {Function} listening on {Queue}")]
    public static partial void ListenerStarted(ILogger logger, string function, string queue);

    [LoggerMessage(LogEventIds.ListenerStopped, LogLevel.Information, "Queue function {Function} stopped")]
    public static partial void ListenerStopped(ILogger logger, string function);

    [LoggerMessage(LogEventIds.ReceiveFailed, LogLevel.Warning, "Queue function {Function} could not receive from {Queue}; retrying")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception, string function, string queue);

    [LoggerMessage(LogEventIds.Draining, LogLevel.Information, "Queue function {Function} draining {Count} in-flight messages (up to {Timeout})")]
    public static partial void Draining(ILogger logger, string function, int count, TimeSpan timeout);

    [LoggerMessage(LogEventIds.TransientFailure, LogLevel.Warning, "Queue function {Function} failed on message {MessageId} (attempt {DequeueCount}); retry in {Delay}")]
    public static partial void TransientFailure(ILogger logger, Exception exception, string function, string messageId, long dequeueCount, TimeSpan delay);

    [LoggerMessage(LogEventIds.MovedToPoison, LogLevel.Error, "Queue function {Function} moved message {MessageId} to the poison queue after {DequeueCount} attempts: {Reason}")]
    public static partial void MovedToPoison(ILogger logger, string function, string messageId, long dequeueCount, string reason);

    [LoggerMessage(LogEventIds.Released, LogLevel.Information, "Queue function {Function} released message {MessageId} back to the queue on shutdown")]
    public static partial void Released(ILogger logger, string function, string messageId);

    [LoggerMessage(LogEventIds.LeaseLost, LogLevel.Warning, "Queue function {Function} lost the lease on message {MessageId}; another receiver has it")]
    public static partial void LeaseLost(ILogger logger, string function, string messageId);

    [LoggerMessage(LogEventIds.RenewFailed, LogLevel.Warning, "Queue function {Function} could not renew the visibility of message {MessageId}")]
    public static partial void RenewFailed(ILogger logger, Exception exception, string function, string messageId);

    [LoggerMessage(LogEventIds.SettleFailed, LogLevel.Error, "Queue function {Function} could not settle message {MessageId}; it becomes visible again when its timeout ends")]
    public static partial void SettleFailed(ILogger logger, Exception exception, string function, string messageId);

    [LoggerMessage(LogEventIds.DependencyUnavailable, LogLevel.Warning, "Queue function {Function} could not process message {MessageId}: {Dependency} is unavailable; the listener pauses and the message waits {Delay}")]
    public static partial void DependencyUnavailable(ILogger logger, Exception exception, string function, string messageId, string dependency, TimeSpan delay);

    [LoggerMessage(LogEventIds.WebhookAddressBlocked, LogLevel.Warning, "Webhook connection to {Host} refused: it resolves to a {AddressClass} address")]
    public static partial void WebhookAddressBlocked(ILogger logger, string host, string addressClass);

    [LoggerMessage(LogEventIds.WebhookPortBlocked, LogLevel.Warning, "Webhook connection to {Host} refused: port {Port} is not one webhooks may use (Subscriptions:AllowedPorts)")]
    public static partial void WebhookPortBlocked(ILogger logger, string host, int port);
}
