using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Subscriptions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Validation;

/// <summary>
/// The handshake of a new subscription: POSTs the validation CloudEvent (signed) to the endpoint, or, for
/// validationMethod <c>options</c>, sends the CloudEvents webhook handshake (<see cref="WebhookHandshake"/>: OPTIONS, a 2xx
/// with WebHook-Allowed-Origin naming this service or <c>*</c>; its WebHook-Allowed-Rate is stored as the endpoint's push
/// rate). Success validates the subscription; anything else records the reason and sends the next attempt to the queue with the next delay of
/// the retry schedule, until the schedule runs out and the subscription is left failed. Messages of a deleted
/// subscription, or of an earlier validation run, complete without doing anything.
/// </summary>
internal sealed class ValidationFunction(
    SubscriptionStore store,
    WebhookClient webhooks,
    IEventQueues queues,
    IOptions<ValidationOptions> options,
    IOptions<SubscriptionOptions> subscriptionOptions,
    TimeProvider time,
    ILogger<ValidationFunction> logger) : IQueueFunction
{
    public const string EventType = "platform.events.validatesubscription";
    public const string ContentType = "application/cloudevents+json";


    public async Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        var request = Parse(message.Body);
        var subscription = await store.GetAsync(request.SubscriptionId, cancellationToken);
        if (subscription is null)
        {
            ValidationLog.SubscriptionGone(logger, request.SubscriptionId);
            return;
        }

        if (subscription.ValidationRun != request.Run || subscription.ValidationStatus != ValidationStatus.Pending)
        {
            ValidationLog.Stale(logger, request.SubscriptionId, request.Run, subscription.ValidationRun, subscription.ValidationStatus);
            return;
        }

        var settings = options.Value;
        var (result, allowedRate) = subscription.ValidationMethod == ValidationMethods.Options
            ? await HandshakeAsync(subscription, settings, cancellationToken)
            : (await PostValidationEventAsync(subscription, settings, cancellationToken), null);
        var now = time.GetUtcNow();
        if (result.Success)
        {
            // The granted rate first: the subscription receives pushes once validated, and never faster than granted.
            if (subscription.ValidationMethod == ValidationMethods.Options)
            {
                await store.SetAllowedRateAsync(subscription.Id, request.Run, allowedRate, cancellationToken);
            }

            await store.MarkValidatedAsync(subscription.Id, request.Run, request.Attempt, now, cancellationToken);
            ValidationLog.Validated(logger, subscription.Id, request.Attempt);
            return;
        }

        if (RetrySchedule.NextDelay(settings.Schedule, request.Attempt) is not { } delay)
        {
            await store.RecordFailedAttemptAsync(subscription.Id, request.Run, request.Attempt, ValidationStatus.Failed, result.Reason, now, TimeSpan.Zero, cancellationToken);
            ValidationLog.GaveUp(logger, subscription.Id, request.Attempt, result.Reason);
            return;
        }

        // Record first, then enqueue: if the send fails the listener retries this attempt, which is harmless.
        await store.RecordFailedAttemptAsync(subscription.Id, request.Run, request.Attempt, ValidationStatus.Pending, result.Reason, now, delay, cancellationToken);
        var next = request with { Attempt = request.Attempt + 1 };
        await queues.SendValidationAsync(next, delay, cancellationToken);
        ValidationLog.AttemptFailed(logger, subscription.Id, request.Attempt, result.Reason, delay);
    }

    private Task<WebhookResult> PostValidationEventAsync(Subscription subscription, ValidationOptions settings, CancellationToken cancellationToken)
    {
        var eventId = Guid.NewGuid().ToString();
        var body = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = eventId,
            ["type"] = EventType,
            ["source"] = subscriptionOptions.Value.SubscriptionUrl(subscription.Id),
        }.ToJsonString();
        return webhooks.PostAsync(new Uri(subscription.EndPoint), body, ContentType, subscription.Secret, eventId, settings.Timeout, cancellationToken);
    }

    /// <summary>
    /// The CloudEvents webhook handshake: a 2xx with WebHook-Allowed-Origin naming this service (or <c>*</c>) validates;
    /// a 2xx without that consent fails like a non-2xx, with the reason. The granted rate comes back with a success.
    /// </summary>
    private async Task<(WebhookResult Result, int? AllowedRate)> HandshakeAsync(Subscription subscription, ValidationOptions settings, CancellationToken cancellationToken)
    {
        var origin = settings.OriginName(subscriptionOptions.Value);
        var (result, allowedOrigin, allowedRate) = await webhooks.OptionsAsync(new Uri(subscription.EndPoint), origin, settings.Timeout, cancellationToken);
        if (!result.Success)
        {
            return (result, null);
        }

        if (WebhookHandshake.Refusal(origin, allowedOrigin, allowedRate, out var rate) is { } refusal)
        {
            ValidationLog.HandshakeRefused(logger, subscription.Id, refusal);
            return (result with { Success = false, Error = refusal }, null);
        }

        return (result, rate);
    }

    private static ValidationMessage Parse(string body)
    {
        ValidationMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(body, QueueJsonContext.Default.ValidationMessage);
        }
        catch (JsonException ex)
        {
            throw new PermanentMessageException($"Not a validation message: {ex.Message}", ex);
        }

        if (message is null || message.SubscriptionId == Guid.Empty || message.Attempt < 1)
        {
            throw new PermanentMessageException("A validation message needs subscriptionId and an attempt of at least 1.");
        }

        return message;
    }
}

internal static partial class ValidationLog
{
    [LoggerMessage(LogEventIds.HandshakeRefused, LogLevel.Information, "The endpoint of subscription {SubscriptionId} answered the OPTIONS handshake without consent: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, Guid subscriptionId, string reason);

    [LoggerMessage(LogEventIds.Validated, LogLevel.Information, "Subscription {SubscriptionId} validated on attempt {Attempt}")]
    public static partial void Validated(ILogger logger, Guid subscriptionId, int attempt);

    [LoggerMessage(LogEventIds.ValidationFunctionAttemptFailed, LogLevel.Information, "Validation attempt {Attempt} of subscription {SubscriptionId} failed ({Reason}); next attempt in {Delay}")]
    public static partial void AttemptFailed(ILogger logger, Guid subscriptionId, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(LogEventIds.ValidationFunctionGaveUp, LogLevel.Warning, "Validation of subscription {SubscriptionId} failed after {Attempts} attempts ({Reason}); it stays unvalidated")]
    public static partial void GaveUp(ILogger logger, Guid subscriptionId, int attempts, string reason);

    [LoggerMessage(LogEventIds.SubscriptionGone, LogLevel.Information, "Subscription {SubscriptionId} no longer exists; its validation message is dropped")]
    public static partial void SubscriptionGone(ILogger logger, Guid subscriptionId);

    [LoggerMessage(LogEventIds.Stale, LogLevel.Information, "Validation message of run {MessageRun} for subscription {SubscriptionId} is stale (run {CurrentRun}, {Status}); dropped")]
    public static partial void Stale(ILogger logger, Guid subscriptionId, int messageRun, int currentRun, string status);
}
