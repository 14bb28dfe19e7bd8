using Microsoft.Extensions.Logging;

namespace Altinn.Events.Authorization;

// Never log consumer strings with person data, person numbers, tokens or request bodies: only resource ids,
// counts, status codes and exception types.
internal static partial class Log
{
    [LoggerMessage(LogEventIds.PolicyMissing, LogLevel.Warning, "No policy for resource {ResourceId}; denying")]
    public static partial void PolicyMissing(ILogger logger, string resourceId);

    [LoggerMessage(LogEventIds.PolicyUnreadable, LogLevel.Error, "Policy for resource {ResourceId} could not be read; denying")]
    public static partial void PolicyUnreadable(ILogger logger, Exception exception, string resourceId);

    [LoggerMessage(LogEventIds.PolicyReadFailed, LogLevel.Error, "Policy for resource {ResourceId} could not be read now ({ExceptionType}); denying, and reading it again on the next request")]
    public static partial void PolicyReadFailed(ILogger logger, string resourceId, string exceptionType);

    [LoggerMessage(LogEventIds.EvaluationFailed, LogLevel.Error, "Embedded PDP failed on resource {ResourceId} ({ExceptionType}); denying")]
    public static partial void EvaluationFailed(ILogger logger, string resourceId, string exceptionType);

    [LoggerMessage(LogEventIds.UnsupportedResource, LogLevel.Warning, "Resource urn is not a policy-backed resource; denying")]
    public static partial void UnsupportedResource(ILogger logger);

    [LoggerMessage(LogEventIds.UnsupportedConsumer, LogLevel.Warning, "Consumer kind {ConsumerKind} cannot be authorized; denying")]
    public static partial void UnsupportedConsumer(ILogger logger, string consumerKind);

    [LoggerMessage(LogEventIds.RemoteFailed, LogLevel.Error, "Remote PDP call for {Count} requests failed ({Reason}); denying all")]
    public static partial void RemoteFailed(ILogger logger, int count, string reason);

    [LoggerMessage(LogEventIds.RegisterFailed, LogLevel.Error, "Remote register call {Operation} failed ({Reason})")]
    public static partial void RegisterFailed(ILogger logger, string operation, string reason);

    [LoggerMessage(LogEventIds.TokenFailed, LogLevel.Error, "Could not get an Entra ID token for platform calls ({ExceptionType})")]
    public static partial void TokenFailed(ILogger logger, string exceptionType);
}
