using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Delivery;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// Pushes the deliveries of one <see cref="OutboundMessage"/>: loads their events and subscriptions (one query each),
/// skips what must not be pushed (recording why), and POSTs each event to its endpoint, all at once, each under the
/// endpoint's concurrency limit and the request timeout. Every outcome is recorded as it happens; a failed delivery is
/// re-queued alone with the next attempt number and the schedule's delay, so the message completes as soon as every
/// push has ended once. A delivery whose attempt is already recorded is not pushed again (a redelivered message).
/// A retry is authorized again before it is pushed: hours may have passed since the inbound stage decided, and a
/// consumer whose right to read was withdrawn in between must not receive the event.
/// </summary>
internal sealed class OutboundFunction(
    DeliveryStore store,
    IAuthorizationDecider decider,
    WebhookClient webhooks,
    EndpointLimiter limiter,
    IQueueSender queues,
    IOptions<QueueOptions> queueOptions,
    IOptions<OutboundOptions> options,
    TimeProvider time,
    ILogger<OutboundFunction> logger) : IQueueFunction
{
    public const string CloudEventContentType = "application/cloudevents+json";
    public const string SlackHost = "hooks.slack.com";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Storage queues accept visibility delays up to 7 days.
    private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(7);

    private static readonly HashSet<string> Settled = new(StringComparer.Ordinal)
    {
        DeliveryStatus.Delivered, DeliveryStatus.Failed, DeliveryStatus.Gone, DeliveryStatus.Unauthorized, Skipped,
    };

    // A delivery reference is about 130 bytes; a queue message holds 64 KB.
    private const int MaxDeliveriesPerCopy = 256;

    /// <summary><c>deliveries.status</c> of a delivery that was not pushed (see migration 0006).</summary>
    public const string Skipped = "skipped";

    public async Task RunAsync(QueueMessageContext message, CancellationToken cancellationToken)
    {
        var deliveries = Parse(message.Body);
        var batch = await store.LoadAsync(deliveries, cancellationToken);
        var skipped = new List<(DeliveryReference, string)>();
        var ready = new List<(DeliveryReference Delivery, PushEvent Event, PushTarget Target)>();
        foreach (var delivery in deliveries.DistinctBy(d => (d.SubscriptionId, d.Seq)))
        {
            if (batch.States.TryGetValue((delivery.SubscriptionId, delivery.Seq), out var state)
                && (Settled.Contains(state.Status) || state.Attempts >= delivery.Attempt))
            {
                // A redelivered message, or a second copy of a retry: this attempt was made or the delivery is settled.
                OutboundLog.AlreadyDone(logger, delivery.SubscriptionId, delivery.Seq, delivery.Attempt, state.Status);
                continue;
            }

            if (!batch.Events.TryGetValue((delivery.Seq, delivery.Registered), out var stored))
            {
                skipped.Add((delivery, "the event is no longer stored"));
            }
            else if (!batch.Subscriptions.TryGetValue(delivery.SubscriptionId, out var target))
            {
                skipped.Add((delivery, "the subscription was deleted"));
            }
            else if (target.ValidationStatus != ValidationStatus.Validated)
            {
                skipped.Add((delivery, target.DisabledAt is not null ? "the subscription is disabled" : $"the subscription is {target.ValidationStatus}, not validated"));
            }
            else
            {
                ready.Add((delivery, stored, target));
            }
        }

        var pushes = new List<(DeliveryReference Delivery, Task Push)>();
        var retries = ready.Where(r => r.Delivery.Attempt > 1).ToList();
        var permitted = await StillPermittedAsync(retries, cancellationToken);
        foreach (var (delivery, stored, target) in ready)
        {
            if (delivery.Attempt > 1 && !permitted.Contains((target.Consumer, stored.Resource, stored.PartyId)))
            {
                skipped.Add((delivery, $"{target.Consumer} may no longer read the event"));
            }
            else
            {
                pushes.Add((delivery, PushAsync(delivery, stored, target, message, cancellationToken)));
            }
        }

        foreach (var (delivery, reason) in skipped)
        {
            OutboundLog.Skipped(logger, delivery.SubscriptionId, delivery.Seq, reason);
        }

        await store.MarkSkippedAsync(skipped, time.GetUtcNow(), cancellationToken);
        await AwaitOrHandOnAsync(pushes, cancellationToken);
    }

    /// <summary>
    /// Waits for the pushes up to <see cref="OutboundOptions.HoldMessageFor"/>; a push still running then is handed on (see
    /// that option) and left to finish in the background, so one slow endpoint cannot hold the message and its listener slot.
    /// </summary>
    private async Task AwaitOrHandOnAsync(List<(DeliveryReference Delivery, Task Push)> pushes, CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(pushes.Select(p => p.Push));
        var settings = options.Value;
        if (await Task.WhenAny(all, Task.Delay(settings.HoldMessageFor, time, cancellationToken)) == all)
        {
            await all;
            return;
        }

        // One message carries every copy, so handing on costs one queue operation, not one per slow delivery.
        var pushMustHaveEnded = settings.SlotWait + settings.Timeout + TimeSpan.FromSeconds(10);
        var unfinished = pushes.Where(p => !p.Push.IsCompleted).Select(p => p.Delivery).ToList();
        foreach (var chunk in unfinished.Chunk(MaxDeliveriesPerCopy))
        {
            await queues.SendAsync(queueOptions.Value.OutboundQueue, JsonSerializer.Serialize(new OutboundMessage(chunk), Json), pushMustHaveEnded, cancellationToken);
        }

        foreach (var delivery in unfinished)
        {
            OutboundLog.HandedOn(logger, delivery.SubscriptionId, delivery.Seq, delivery.Attempt);
        }

        _ = all.ContinueWith(t => OutboundLog.BackgroundPushFailed(logger, t.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>The (consumer, resource, party) keys of the retries that are still permitted, decided in one batch.</summary>
    private async Task<HashSet<(string Consumer, string Resource, int? PartyId)>> StillPermittedAsync(
        List<(DeliveryReference Delivery, PushEvent Event, PushTarget Target)> retries, CancellationToken cancellationToken)
    {
        var keys = retries.Select(r => (r.Target.Consumer, r.Event.Resource, r.Event.PartyId)).Distinct().ToList();
        if (keys.Count == 0)
        {
            return [];
        }

        var decisions = await decider.DecideAsync(
            [.. keys.Select(k => new DecisionRequest(k.Consumer, AppResources.TryParse(k.Resource, out _, out _) ? Actions.Read : Actions.Subscribe, new DecisionResource(k.Resource, k.PartyId)))],
            cancellationToken);
        return [.. keys.Where((_, i) => decisions[i])];
    }

    private async Task PushAsync(DeliveryReference delivery, PushEvent stored, PushTarget target, QueueMessageContext message, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var endPoint = new Uri(target.EndPoint);
        WebhookResult result;
        TimeSpan duration;
        using (var slot = await limiter.AcquireAsync(endPoint, settings.SlotWait, cancellationToken))
        {
            if (slot is null)
            {
                // The endpoint is saturated (its pushes are slow): try this attempt again later rather than wait here.
                var later = settings.Schedule.Count > 0 ? settings.Schedule[0] : TimeSpan.FromSeconds(10);
                await SendAsync(queueOptions.Value.OutboundQueue, delivery, later, cancellationToken);
                OutboundLog.EndpointBusy(logger, delivery.SubscriptionId, delivery.Seq, later);
                return;
            }

            var (body, contentType) = Envelope(endPoint, stored.CloudEvent);
            var started = time.GetTimestamp();
            result = await webhooks.PostAsync(endPoint, body, contentType, target.Secret, DeliveryId(delivery), settings.Timeout, cancellationToken);
            duration = time.GetElapsedTime(started);
        }

        var at = time.GetUtcNow();
        if (result.Success)
        {
            await store.RecordAttemptAsync(Attempt(AttemptOutcome.Delivered), DeliveryStatus.Delivered, cancellationToken);
            OutboundLog.Delivered(logger, target.Id, delivery.Seq, delivery.Attempt, result.StatusCode ?? 0, duration.TotalMilliseconds);
            return;
        }

        DateTimeOffset? failingSince;
        if (result.StatusCode == 410)
        {
            failingSince = await store.RecordAttemptAsync(Attempt(AttemptOutcome.Gone), DeliveryStatus.Gone, cancellationToken);
            OutboundLog.Gone(logger, target.Id, delivery.Seq, delivery.Attempt);
        }
        else if (delivery.Attempt >= settings.MaxAttempts)
        {
            // Poison first, then the record: a crash in between repeats the poison message, never loses it.
            var history = await store.HistoryAsync(delivery, cancellationToken);
            await SendPoisonAsync(Attempt(AttemptOutcome.Failed), message, result.Reason, history, cancellationToken);
            failingSince = await store.RecordAttemptAsync(Attempt(AttemptOutcome.Failed), DeliveryStatus.Failed, cancellationToken);
            OutboundLog.GaveUp(logger, target.Id, delivery.Seq, delivery.Attempt, result.Reason);
        }
        else
        {
            var delay = NextDelay(settings.Schedule[delivery.Attempt - 1], result.RetryAfter);

            // Queue first, then the record: if recording fails the message runs again and queues a second copy, which
            // the attempt check above drops; the other order could lose the retry.
            await SendAsync(queueOptions.Value.OutboundQueue, delivery with { Attempt = delivery.Attempt + 1 }, delay, cancellationToken);
            failingSince = await store.RecordAttemptAsync(Attempt(AttemptOutcome.Retry), DeliveryStatus.Queued, cancellationToken);
            OutboundLog.AttemptFailed(logger, target.Id, delivery.Seq, delivery.Attempt, result.Reason, delay);
        }

        if (failingSince is { } since && at - since >= settings.DisableAfter)
        {
            var reason = $"Disabled by the outbound stage at {at:O}: every push since {since:O} failed (last: {result.Reason}). Validate the subscription again to enable it.";
            if (await store.DisableAsync(target.Id, at - settings.DisableAfter, reason, at, cancellationToken))
            {
                OutboundLog.Disabled(logger, target.Id, since);
            }
        }

        AttemptRecord Attempt(string outcome) => new(delivery, stored.Id, at, result.StatusCode, duration, result.Success ? null : result.Error ?? (result.StatusCode is { } c ? $"HTTP {c}" : null), outcome);
    }

    /// <summary>The Standard Webhooks message id: stable across the retries of one delivery, so receivers can de-duplicate.</summary>
    public static string DeliveryId(DeliveryReference delivery) => $"{delivery.SubscriptionId}:{delivery.Seq}";

    /// <summary>The request body and content type: the stored CloudEvent as is, or Slack's <c>{"text": ...}</c>.</summary>
    internal static (string Body, string ContentType) Envelope(Uri endPoint, string cloudEvent) =>
        string.Equals(endPoint.Host, SlackHost, StringComparison.OrdinalIgnoreCase)
            ? (JsonSerializer.Serialize(new { text = cloudEvent }), "application/json")
            : (cloudEvent, CloudEventContentType);

    /// <summary>The schedule's delay, or longer when the endpoint asked (Retry-After); whole seconds, at most 7 days.</summary>
    internal static TimeSpan NextDelay(TimeSpan scheduled, TimeSpan? retryAfter)
    {
        var delay = retryAfter is { } asked && asked > scheduled ? asked : scheduled;
        delay = TimeSpan.FromSeconds(Math.Ceiling(delay.TotalSeconds));
        return delay > LongestDelay ? LongestDelay : delay;
    }

    private Task SendAsync(string queue, DeliveryReference delivery, TimeSpan delay, CancellationToken cancellationToken) =>
        queues.SendAsync(queue, JsonSerializer.Serialize(new OutboundMessage([delivery]), Json), delay, cancellationToken);

    private Task SendPoisonAsync(AttemptRecord last, QueueMessageContext message, string reason, IReadOnlyList<LoggedAttempt> logged, CancellationToken cancellationToken)
    {
        var (delivery, at) = (last.Delivery, last.AttemptedAt);
        var history = logged.Select(a => new DeliveryAttemptEntry(a.Attempt, a.AttemptedAt, a.StatusCode, a.DurationMs, a.Error, a.Outcome)).ToList();
        history.Add(new DeliveryAttemptEntry(delivery.Attempt, at, last.StatusCode, (int)Math.Round(last.Duration.TotalMilliseconds), last.Error, last.Outcome));
        var poison = new DeliveryPoisonMessage(
            message.QueueName,
            message.MessageId,
            delivery.Attempt,
            $"Gave up after {delivery.Attempt} attempts; last: {reason}",
            at,
            message.InsertedOn,
            JsonSerializer.Serialize(new OutboundMessage([delivery]), Json),
            delivery.SubscriptionId,
            last.EventId,
            delivery.Seq,
            delivery.Registered,
            history);
        return queues.SendAsync(QueueClientFactory.PoisonQueueName(message.QueueName), JsonSerializer.Serialize(poison, Json), null, cancellationToken);
    }

    private static IReadOnlyList<DeliveryReference> Parse(string body)
    {
        OutboundMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<OutboundMessage>(body, Json);
        }
        catch (JsonException ex)
        {
            throw new PermanentMessageException($"Not an outbound message: {ex.Message}", ex);
        }

        if (message?.Deliveries is not { Count: > 0 } deliveries)
        {
            throw new PermanentMessageException("An outbound message needs at least one delivery.");
        }

        if (deliveries.Any(d => d is null || d.SubscriptionId == Guid.Empty || d.Seq <= 0 || d.Attempt < 1))
        {
            throw new PermanentMessageException("Every delivery needs subscriptionId, seq, registered and an attempt of at least 1.");
        }

        return deliveries;
    }
}

internal static partial class OutboundLog
{
    // Ids, sequence numbers and reasons only: never secrets, endpoints' query strings or event bodies.
    [LoggerMessage(5000, LogLevel.Debug, "Delivered event {Seq} to subscription {SubscriptionId} on attempt {Attempt} (HTTP {StatusCode}, {DurationMs} ms)")]
    public static partial void Delivered(ILogger logger, Guid subscriptionId, long seq, int attempt, int statusCode, double durationMs);

    [LoggerMessage(5001, LogLevel.Information, "Push of event {Seq} to subscription {SubscriptionId} failed on attempt {Attempt} ({Reason}); next attempt in {Delay}")]
    public static partial void AttemptFailed(ILogger logger, Guid subscriptionId, long seq, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(5002, LogLevel.Warning, "Gave up pushing event {Seq} to subscription {SubscriptionId} after {Attempts} attempts ({Reason}); sent to the poison queue")]
    public static partial void GaveUp(ILogger logger, Guid subscriptionId, long seq, int attempts, string reason);

    [LoggerMessage(5003, LogLevel.Information, "Endpoint of subscription {SubscriptionId} answered 410 Gone for event {Seq} on attempt {Attempt}; no more attempts")]
    public static partial void Gone(ILogger logger, Guid subscriptionId, long seq, int attempt);

    [LoggerMessage(5004, LogLevel.Information, "Delivery of event {Seq} to subscription {SubscriptionId} skipped: {Reason}")]
    public static partial void Skipped(ILogger logger, Guid subscriptionId, long seq, string reason);

    [LoggerMessage(5005, LogLevel.Debug, "Delivery of event {Seq} to subscription {SubscriptionId} attempt {Attempt} already done ({Status}); not pushed again")]
    public static partial void AlreadyDone(ILogger logger, Guid subscriptionId, long seq, int attempt, string status);

    [LoggerMessage(5006, LogLevel.Information, "Endpoint of subscription {SubscriptionId} is saturated; event {Seq} queued again in {Delay}")]
    public static partial void EndpointBusy(ILogger logger, Guid subscriptionId, long seq, TimeSpan delay);

    [LoggerMessage(5007, LogLevel.Warning, "Subscription {SubscriptionId} disabled: every push since {FailingSince} failed")]
    public static partial void Disabled(ILogger logger, Guid subscriptionId, DateTimeOffset failingSince);

    [LoggerMessage(5008, LogLevel.Information, "Push of event {Seq} to subscription {SubscriptionId} (attempt {Attempt}) is slow; handed on so its message can complete")]
    public static partial void HandedOn(ILogger logger, Guid subscriptionId, long seq, int attempt);

    [LoggerMessage(5009, LogLevel.Warning, "A push that was handed on failed in the background; its queued copy makes the attempt")]
    public static partial void BackgroundPushFailed(ILogger logger, Exception exception);
}
