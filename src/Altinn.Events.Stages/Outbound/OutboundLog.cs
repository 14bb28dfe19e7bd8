namespace Altinn.Events.Stages.Outbound;

/// <summary>The outbound stage's log messages (event ids 5000-5049, and 8700-8719 for batched pushes and allowed rates). Ids, sequence numbers and reasons only: never secrets, query strings or event bodies.</summary>
internal static partial class OutboundLog
{
    [LoggerMessage(LogEventIds.Delivered, LogLevel.Debug, "Delivered event {Seq} to subscription {SubscriptionId} on attempt {Attempt} (HTTP {StatusCode}, {DurationMs} ms)")]
    public static partial void Delivered(ILogger logger, Guid subscriptionId, long seq, int attempt, int statusCode, double durationMs);

    [LoggerMessage(LogEventIds.OutboundAttemptFailed, LogLevel.Information, "Push of event {Seq} to subscription {SubscriptionId} failed on attempt {Attempt} ({Reason}); next attempt in {Delay}")]
    public static partial void AttemptFailed(ILogger logger, Guid subscriptionId, long seq, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(LogEventIds.OutboundGaveUp, LogLevel.Warning, "Gave up pushing event {Seq} to subscription {SubscriptionId} after {Attempts} attempts ({Reason}); sent to the poison queue")]
    public static partial void GaveUp(ILogger logger, Guid subscriptionId, long seq, int attempts, string reason);

    [LoggerMessage(LogEventIds.Gone, LogLevel.Information, "Endpoint of subscription {SubscriptionId} answered 410 Gone for event {Seq} on attempt {Attempt}; no more attempts")]
    public static partial void Gone(ILogger logger, Guid subscriptionId, long seq, int attempt);

    [LoggerMessage(LogEventIds.Skipped, LogLevel.Information, "Delivery of event {Seq} to subscription {SubscriptionId} skipped: {Reason}")]
    public static partial void Skipped(ILogger logger, Guid subscriptionId, long seq, string reason);

    [LoggerMessage(LogEventIds.NotQueued, LogLevel.Debug, "Outbound message {MessageId}: {Count} deliveries were no longer queued (pushed, being pushed, or waiting for a retry); not pushed from this message")]
    public static partial void NotQueued(ILogger logger, string messageId, int count);

    [LoggerMessage(LogEventIds.EndpointOpen, LogLevel.Warning, "Endpoint of subscription {SubscriptionId} is open after consecutive failures (last: {Reason}); its deliveries wait and it is probed on the retry schedule")]
    public static partial void EndpointOpen(ILogger logger, Guid subscriptionId, string reason);

    [LoggerMessage(LogEventIds.Disabled, LogLevel.Warning, "Subscription {SubscriptionId} disabled: every push since {FailingSince} failed")]
    public static partial void Disabled(ILogger logger, Guid subscriptionId, DateTimeOffset failingSince);

    [LoggerMessage(LogEventIds.PushFailed, LogLevel.Warning, "A push could not be recorded; its claim lapses and the scheduler pushes the delivery again")]
    public static partial void PushFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEventIds.SchedulerFailed, LogLevel.Warning, "The delivery scheduler's round failed; it tries again")]
    public static partial void SchedulerFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogEventIds.Probing, LogLevel.Information, "Probing open endpoint {EndpointId} with event {Seq} of subscription {SubscriptionId}")]
    public static partial void Probing(ILogger logger, Guid endpointId, Guid subscriptionId, long seq);

    [LoggerMessage(LogEventIds.Draining, LogLevel.Information, "Draining the backlog of endpoint {EndpointId}")]
    public static partial void Draining(ILogger logger, Guid endpointId);

    [LoggerMessage(LogEventIds.Drained, LogLevel.Debug, "Backlog of endpoint {EndpointId} drained: {Pushed} pushed")]
    public static partial void Drained(ILogger logger, Guid endpointId, long pushed);

    [LoggerMessage(LogEventIds.RecordRetried, LogLevel.Warning, "Could not record the push of event {Seq} to subscription {SubscriptionId}; retrying in {Delay} so it is not pushed again")]
    public static partial void RecordRetried(ILogger logger, Exception exception, Guid subscriptionId, long seq, TimeSpan delay);

    [LoggerMessage(LogEventIds.BatchPushed, LogLevel.Debug, "Pushed a batch of {Count} events ({FirstSeq}..{LastSeq}) to subscription {SubscriptionId}: {Outcome} in {DurationMs} ms")]
    public static partial void BatchPushed(ILogger logger, Guid subscriptionId, int count, long firstSeq, long lastSeq, string outcome, double durationMs);

    [LoggerMessage(LogEventIds.RateDeferred, LogLevel.Debug, "{Count} deliveries of subscription {SubscriptionId} wait {Delay} for their endpoint's allowed rate of {Rate} requests a minute")]
    public static partial void RateDeferred(ILogger logger, Guid subscriptionId, int count, int rate, TimeSpan delay);
}
