using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Messages;
using Altinn.Events.Messaging.Webhooks;
using Altinn.Events.Persistence.Delivery;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>How the pusher treats a batch of claimed deliveries.</summary>
/// <param name="Reauthorize">Ask the PDP again before pushing (every push but a queue message's first attempt, which
/// the inbound stage or redelivery authorized moments ago).</param>
/// <param name="Probe">The push tests an open endpoint: it is made although the endpoint is open, and logged as a probe.</param>
internal readonly record struct PushMode(bool Reauthorize, bool Probe = false);

/// <summary>One delivery a request carries: its claim and its event.</summary>
internal readonly record struct PushMember(ClaimedDelivery Claimed, PushEvent Event);

/// <summary>One request: a delivery, or several of one batched subscription (oldest first).</summary>
internal sealed record PushUnit(PushTarget Target, IReadOnlyList<PushMember> Members);

/// <summary>
/// What <see cref="DeliveryPusher.RunAsync"/> started: <paramref name="Pushes"/> deliveries went for a slot;
/// <paramref name="Done"/> ends when all have been pushed and recorded, or parked; <paramref name="PushedAtOnce"/> when
/// those that found a free slot at once have been pushed and recorded (the others wait in line under their claims).
/// </summary>
internal readonly record struct PushBatch(int Pushes, Task Done, Task PushedAtOnce)
{
    public static PushBatch None { get; } = new(0, Task.CompletedTask, Task.CompletedTask);
}

/// <summary>
/// What happens to a claimed delivery, for the queue function and the scheduler alike: skipped (with why) when its event
/// or subscription is gone, the subscription is not validated or the consumer may no longer read it; parked when its
/// endpoint is open or has no free slot; otherwise pushed under a slot, and the outcome recorded: delivered, gone (410),
/// waiting for the next attempt (the schedule, or a later Retry-After), or failed after the last (with its history on the
/// poison queue). Pushes run in the background; the returned task ends when their outcomes are recorded.
/// </summary>
internal sealed class DeliveryPusher(
    DeliveryStore store,
    DeliveredBatcher delivered,
    DeliverySchedule schedule,
    IAuthorizationDecider decider,
    WebhookClient webhooks,
    EndpointLimiter limiter,
    RateGate rates,
    IEventQueues queues,
    IOptions<QueueOptions> queueOptions,
    IOptions<OutboundOptions> options,
    OutboundMetrics metrics,
    TimeProvider time,
    ILogger<DeliveryPusher> logger)
{
    public const string CloudEventContentType = "application/cloudevents+json";
    public const string SlackHost = "hooks.slack.com";

    /// <summary>The metrics' name for deliveries put off by their endpoint's allowed rate.</summary>
    public const string RateDeferred = "ratedeferred";

    private static readonly TimeSpan RecordPatience = TimeSpan.FromSeconds(45);
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();

    // Endpoints this process saw open since it loaded their deliveries: a push that waited in line for a slot checks it
    // before it goes, so a dead endpoint's queue of waiters is parked rather than pushed once it opens.
    private readonly ConcurrentDictionary<Guid, bool> _seenOpen = new();

    /// <summary>Pushes still running (the scheduler waits for them on shutdown).</summary>
    public Task[] InFlight => [.. _inFlight.Keys];

    /// <summary>
    /// Skips, parks or pushes each of <paramref name="claimed"/>; returns how many went for a slot and a task that ends
    /// when every push has ended (and those that waited too long for a slot are parked).
    /// </summary>
    public async Task<PushBatch> RunAsync(IReadOnlyList<ClaimedDelivery> claimed, PushMode mode, CancellationToken cancellationToken)
    {
        if (claimed.Count == 0)
        {
            return PushBatch.None;
        }

        var batch = await store.LoadAsync([.. claimed.Select(c => c.Delivery)], cancellationToken);
        var skipped = new List<(DeliveryReference, string)>();
        var paused = new List<ClaimedDelivery>();
        var ready = new List<(ClaimedDelivery Claimed, PushEvent Event, PushTarget Target)>();
        foreach (var c in claimed)
        {
            var delivery = c.Delivery;
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
            else if (!target.Enabled)
            {
                paused.Add(c);
            }
            else
            {
                ready.Add((c, stored, target));
            }
        }

        if (mode.Reauthorize)
        {
            var permitted = await PermittedAsync(ready, cancellationToken);
            foreach (var r in ready.Where(r => !permitted.Contains((r.Target.Consumer, r.Event.Resource, r.Event.PartyId))).ToList())
            {
                skipped.Add((r.Claimed.Delivery, $"{r.Target.Consumer} may no longer read the event"));
                ready.Remove(r);
            }
        }

        // What PostgreSQL says now overrides what this process saw: an endpoint that closed (a probe elsewhere, or half-open
        // with nothing to probe) must not keep its waiters parked.
        foreach (var target in batch.Subscriptions.Values.Where(t => t.EndpointState != EndpointState.Open))
        {
            _seenOpen.TryRemove(target.EndpointId, out _);
        }

        var open = ready.Where(r => r.Target.EndpointState == EndpointState.Open && !mode.Probe).ToList();
        foreach (var (delivery, reason) in skipped)
        {
            OutboundLog.Skipped(logger, delivery.SubscriptionId, delivery.Seq, reason);
        }

        // Each push waits in line up to SlotWait for a slot and starts as soon as it has one; those that got none are
        // parked together once every wait has ended. The caller need not wait for that: the deliveries are claimed, so if
        // this process dies meanwhile the scheduler takes them when their claims lapse. The pushes start before the
        // skipped and open-endpoint deliveries are written: parking bumps the open endpoint's row, which every message
        // with one of its deliveries does, and healthy pushes in the same message must not wait in that line.
        var busy = new ConcurrentQueue<ClaimedDelivery>();
        var opened = new ConcurrentQueue<ClaimedDelivery>();
        var deferred = new ConcurrentQueue<(ClaimedDelivery, DateTimeOffset)>();
        var slotWait = mode.Probe ? TimeSpan.Zero : options.Value.SlotWait;
        var atOnce = new ConcurrentQueue<Task>();
        var pushes = Units(ready.Except(open)).Select(u => AcquireAndPushAsync(u, slotWait, mode.Probe, busy, opened, deferred, atOnce)).ToList();
        var started = PushBatch.None;
        if (pushes.Count > 0)
        {
            var all = ParkWaitersAsync(pushes, busy, opened, deferred);
            Track(all);
            started = new PushBatch(pushes.Count, all, atOnce.IsEmpty ? Task.CompletedTask : Task.WhenAll(atOnce));
        }

        var now = time.GetUtcNow();
        await store.MarkSkippedAsync(skipped, now, cancellationToken);
        await schedule.PauseAsync(paused, now, cancellationToken);
        metrics.Count(DeliveryStatus.Paused, paused.Count);
        metrics.Count(DeliveryStatus.Skipped, skipped.Count);
        await ParkAsync([.. open.Select(r => r.Claimed)], failing: true, now, cancellationToken);
        return started;
    }

    /// <summary>
    /// The requests <paramref name="ready"/> makes: one per delivery, but for a batched subscription (not on Slack) its
    /// deliveries oldest first in batches of up to its batchMaxEvents events and batchMaxBytes bytes of body (an event
    /// larger than that goes alone).
    /// </summary>
    internal static List<PushUnit> Units(IEnumerable<(ClaimedDelivery Claimed, PushEvent Event, PushTarget Target)> ready)
    {
        var units = new List<PushUnit>();
        foreach (var group in ready.GroupBy(r => r.Target.Id))
        {
            var target = group.First().Target;
            if (!IsBatched(target))
            {
                units.AddRange(group.Select(r => new PushUnit(target, [new PushMember(r.Claimed, r.Event)])));
                continue;
            }

            var maxEvents = target.BatchMaxEvents ?? ContentModes.DefaultBatchMaxEvents;
            var maxBytes = target.BatchMaxBytes ?? ContentModes.DefaultBatchMaxBytes;
            var current = new List<PushMember>();
            long bytes = 2; // [ and ]
            foreach (var r in group.OrderBy(r => r.Claimed.Delivery.Seq))
            {
                var size = Encoding.UTF8.GetByteCount(r.Event.CloudEvent) + 1; // and a comma
                if (current.Count > 0 && (current.Count >= maxEvents || bytes + size - 1 > maxBytes))
                {
                    units.Add(new PushUnit(target, current));
                    current = [];
                    bytes = 2;
                }

                current.Add(new PushMember(r.Claimed, r.Event));
                bytes += size;
            }

            if (current.Count > 0)
            {
                units.Add(new PushUnit(target, current));
            }
        }

        return units;
    }

    private static bool IsBatched(PushTarget target) => target.ContentMode == ContentModes.Batched && !IsSlack(new Uri(target.EndPoint));

    // Ends when every push has ended and the deliveries that got no slot, or whose endpoint opened while they waited, are
    // parked, and those the endpoint's allowed rate put off are due again when it allows them.
    private async Task ParkWaitersAsync(
        List<Task<Task?>> acquisitions, ConcurrentQueue<ClaimedDelivery> busy, ConcurrentQueue<ClaimedDelivery> opened, ConcurrentQueue<(ClaimedDelivery, DateTimeOffset)> deferred)
    {
        var pushes = await Task.WhenAll(acquisitions);
        if (!deferred.IsEmpty)
        {
            await schedule.DeferAsync([.. deferred], time.GetUtcNow(), CancellationToken.None);
            metrics.Count(RateDeferred, deferred.Count);
        }

        if (!busy.IsEmpty)
        {
            await ParkAsync([.. busy], failing: false, time.GetUtcNow(), CancellationToken.None);
        }

        if (!opened.IsEmpty)
        {
            await ParkAsync([.. opened], failing: true, time.GetUtcNow(), CancellationToken.None);
        }

        await Task.WhenAll(pushes.OfType<Task>());
    }

    private void Track(Task task)
    {
        _inFlight[task] = true;
        _ = task.ContinueWith(
            t =>
            {
                _inFlight.TryRemove(t, out _);
                if (t.Exception is { } ex)
                {
                    // Claims lapse and the scheduler takes the deliveries again: nothing is lost, at worst pushed twice.
                    OutboundLog.PushFailed(logger, ex.GetBaseException());
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task<Task?> AcquireAndPushAsync(
        PushUnit unit, TimeSpan slotWait, bool probe, ConcurrentQueue<ClaimedDelivery> busy, ConcurrentQueue<ClaimedDelivery> opened,
        ConcurrentQueue<(ClaimedDelivery, DateTimeOffset)> deferred, ConcurrentQueue<Task> atOnce)
    {
        var target = unit.Target;
        var waited = false;
        var rate = probe ? null : target.AllowedRate is > 0 ? target.AllowedRate : null;
        IDisposable? line = null;
        IDisposable? slot;
        try
        {
            // The endpoint's allowed rate, one turn per request: a near turn is waited for here (no slot held), a far one
            // in PostgreSQL. Then its line, so that pushes of the endpoint leave at least an interval apart whatever they
            // waited for. Probes of an open endpoint, at most one per retry step, do not wait.
            if (rate is { } perMinute)
            {
                var horizon = RateGate.Horizon(options.Value);
                if (rates.Reserve(target.EndpointId, perMinute, horizon, out var turn) is not { } wait)
                {
                    var now = time.GetUtcNow();
                    var due = turn - horizon / 2 > now ? turn - horizon / 2 : now;
                    foreach (var member in unit.Members)
                    {
                        deferred.Enqueue((member.Claimed, due));
                    }

                    OutboundLog.RateDeferred(logger, target.Id, unit.Members.Count, perMinute, due - now);
                    return null;
                }

                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time);
                    waited = true;
                }

                line = await rates.EnterAsync(target.EndpointId);
                if (rates.UntilNext(target.EndpointId, perMinute) is var rest && rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, time);
                    waited = true;
                }
            }

            var acquiring = limiter.AcquireAsync(new Uri(target.EndPoint), target.Consumer, slotWait);
            waited |= !acquiring.IsCompleted;
            slot = await acquiring;
            if (slot is not null && rate is { } sent)
            {
                rates.MarkSent(target.EndpointId, sent);
            }
        }
        finally
        {
            line?.Dispose();
        }

        var immediate = !waited;
        if (slot is null)
        {
            foreach (var member in unit.Members)
            {
                busy.Enqueue(member.Claimed);
            }

            return null;
        }

        if (!probe && _seenOpen.ContainsKey(target.EndpointId))
        {
            slot.Dispose();
            foreach (var member in unit.Members)
            {
                opened.Enqueue(member.Claimed);
            }

            return null;
        }

        var push = PushAsync(unit, slot, probe);
        if (immediate)
        {
            atOnce.Enqueue(push);
        }

        return push;
    }

    /// <summary>
    /// Gives up claimed deliveries that waited on their open endpoint for the schedule's whole span: the poison queue gets
    /// each with its history, then the delivery log a <c>gaveup</c> row and the delivery <c>failed</c>. Those whose endpoint
    /// is no longer open (it recovered, or was only busy, while they waited) are not given up, even when the drain of a large
    /// backlog takes longer than what was left of their span: they are parked again for the drain, with a new span from now
    /// (the backlog version is bumped, so a drain that just finished runs again).
    /// </summary>
    public async Task GiveUpAsync(IReadOnlyList<ClaimedDelivery> claimed, CancellationToken cancellationToken)
    {
        if (claimed.Count == 0)
        {
            return;
        }

        var open = await schedule.OnOpenEndpointsAsync([.. claimed.Select(c => c.Delivery.SubscriptionId).Distinct()], cancellationToken);
        var recovered = claimed.Where(c => !open.Contains(c.Delivery.SubscriptionId)).ToList();
        if (recovered.Count > 0)
        {
            await ParkAsync(recovered, failing: false, time.GetUtcNow(), cancellationToken, fromNow: true);
            claimed = [.. claimed.Where(c => open.Contains(c.Delivery.SubscriptionId))];
            if (claimed.Count == 0)
            {
                return;
            }
        }

        var batch = await store.LoadAsync([.. claimed.Select(c => c.Delivery)], cancellationToken);
        var now = time.GetUtcNow();
        var span = options.Value.Policy.Span;
        var reason = $"Gave up: the endpoint did not accept a push within {span} of the first failure";
        var gaveUp = new List<(ClaimedDelivery, string)>();
        var expired = new List<(DeliveryReference, string)>();
        foreach (var c in claimed)
        {
            if (!batch.Events.TryGetValue((c.Delivery.Seq, c.Delivery.Registered), out var stored))
            {
                expired.Add((c.Delivery, "the event is no longer stored"));
                continue;
            }

            if (!batch.Subscriptions.ContainsKey(c.Delivery.SubscriptionId))
            {
                expired.Add((c.Delivery, "the subscription was deleted"));
                continue;
            }

            var history = await store.HistoryAsync(c.Delivery, cancellationToken);
            await SendPoisonAsync(c, stored.Id, reason, history, last: null, cancellationToken);
            gaveUp.Add((c, stored.Id));
            OutboundLog.GaveUp(logger, c.Delivery.SubscriptionId, c.Delivery.Seq, c.Delivery.Attempt - 1, reason);
        }

        await store.MarkSkippedAsync(expired, now, cancellationToken);
        await schedule.GiveUpAsync(gaveUp, reason, now, cancellationToken);
        metrics.Count(AttemptOutcome.GaveUp, gaveUp.Count);
    }

    private async Task ParkAsync(List<ClaimedDelivery> deliveries, bool failing, DateTimeOffset now, CancellationToken cancellationToken, bool fromNow = false)
    {
        foreach (var group in deliveries.GroupBy(d => d.Claim))
        {
            await schedule.ParkAsync([.. group.Select(d => d.Delivery)], group.Key, failing, options.Value.Policy.Span, now, cancellationToken, fromNow);
        }

        metrics.Count(DeliveryStatus.Parked, deliveries.Count);
    }

    /// <summary>The (consumer, resource, party) keys of <paramref name="ready"/> that are still permitted, decided in one batch.</summary>
    private async Task<HashSet<(string Consumer, string Resource, int? PartyId)>> PermittedAsync(
        List<(ClaimedDelivery Claimed, PushEvent Event, PushTarget Target)> ready, CancellationToken cancellationToken)
    {
        var keys = ready.Select(r => (r.Target.Consumer, r.Event.Resource, r.Event.PartyId)).Distinct().ToList();
        if (keys.Count == 0)
        {
            return [];
        }

        var decisions = await decider.DecideAsync(
            [.. keys.Select(k => new DecisionRequest(k.Consumer, Actions.For(k.Resource), new DecisionResource(k.Resource, k.PartyId)))],
            cancellationToken);
        return [.. keys.Where((_, i) => decisions[i])];
    }

    // Not cancelled with the message or the host: the push holds a claim, and ending it half-way would only make a duplicate.
    private async Task PushAsync(PushUnit unit, IDisposable slot, bool probe)
    {
        var settings = options.Value;
        var target = unit.Target;
        var endPoint = new Uri(target.EndPoint);
        using var heldSlot = slot;
        await Task.Yield();
        var started = time.GetTimestamp();
        WebhookResult result;
        if (IsBatched(target))
        {
            // One request for the batch, signed over the whole body; its id follows from its members (WebhookIds.ForBatch).
            var body = new StringBuilder(unit.Members.Sum(m => m.Event.CloudEvent.Length + 1) + 1).Append('[');
            for (var i = 0; i < unit.Members.Count; i++)
            {
                body.Append(i == 0 ? "" : ",").Append(unit.Members[i].Event.CloudEvent);
            }

            var webhookId = WebhookIds.ForBatch(target.Id, [.. unit.Members.Select(m => (m.Claimed.Delivery.Seq, m.Claimed.Generation))]);
            result = await webhooks.PostAsync(endPoint, body.Append(']').ToString(), ContentModes.BatchContentType, target.Secret, webhookId, settings.Timeout, CancellationToken.None);
        }
        else
        {
            var (claimed, stored) = unit.Members[0];
            var webhookId = WebhookIds.For(claimed.Delivery.SubscriptionId, claimed.Delivery.Seq, claimed.Generation);
            if (target.ContentMode == ContentModes.Binary && !IsSlack(endPoint))
            {
                var (headers, bytes, dataContentType) = BinaryModeEvent.FromStructured(stored.CloudEvent);
                result = await webhooks.PostAsync(endPoint, bytes, dataContentType, headers, target.Secret, webhookId, settings.Timeout, CancellationToken.None);
            }
            else
            {
                var (body, contentType) = Envelope(endPoint, stored.CloudEvent);
                result = await webhooks.PostAsync(endPoint, body, contentType, target.Secret, webhookId, settings.Timeout, CancellationToken.None);
            }
        }

        var duration = time.GetElapsedTime(started);

        // A success frees the slot at once. A failure holds it until recorded, so the push next in line for this endpoint
        // sees what the failure did (the endpoint opened) before it goes, rather than pushing into it meanwhile.
        if (result.Success)
        {
            slot.Dispose();
        }

        var at = time.GetUtcNow();
        metrics.Pushed(duration, result.Success);
        if (unit.Members.Count > 1)
        {
            OutboundLog.BatchPushed(logger, target.Id, unit.Members.Count, unit.Members[0].Claimed.Delivery.Seq, unit.Members[^1].Claimed.Delivery.Seq, result.Reason, duration.TotalMilliseconds);
        }

        // The outcome is every member's: each gets its attempt in the delivery log and its own next step (a retry after
        // its own attempt count). Successes share one statement (DeliveredBatcher); of a failure only the first member
        // counts against the endpoint, as the request failed once.
        AttemptResult[] recorded;
        if (result.Success)
        {
            recorded = await Task.WhenAll(unit.Members.Select(m => RecordOutcomeAsync(m, target, result, duration, at, probe, counts: true)));
        }
        else
        {
            recorded = new AttemptResult[unit.Members.Count];
            for (var i = 0; i < unit.Members.Count; i++)
            {
                recorded[i] = await RecordOutcomeAsync(unit.Members[i], target, result, duration, at, probe, counts: i == 0);
            }
        }

        if (recorded[^1].EndpointState == EndpointState.Open)
        {
            _seenOpen[target.EndpointId] = true;
        }
        else
        {
            _seenOpen.TryRemove(target.EndpointId, out _);
        }

        if (recorded.Any(r => r.Opened))
        {
            OutboundLog.EndpointOpen(logger, target.Id, result.Reason);
        }

        if (recorded.Select(r => r.FailingSince).Min() is { } since && at - since >= settings.DisableAfter)
        {
            var reason = $"Disabled by the outbound stage at {at:O}: every push since {since:O} failed (last: {result.Reason}). Validate the subscription again to enable it.";
            if (await store.DisableAsync(target.Id, at - settings.DisableAfter, reason, at, CancellationToken.None))
            {
                OutboundLog.Disabled(logger, target.Id, since);
            }
        }
    }

    /// <summary>Records what the request did for one delivery it carried: delivered, gone, a retry, or failed (poison first).</summary>
    private async Task<AttemptResult> RecordOutcomeAsync(PushMember member, PushTarget target, WebhookResult result, TimeSpan duration, DateTimeOffset at, bool probe, bool counts)
    {
        var settings = options.Value;
        var (claimed, stored) = member;
        var delivery = claimed.Delivery;
        var endpoint = new EndpointEffect(target.EndpointId, target.EndPoint, settings.OpenAfter, settings.Schedule, result.RetryAfter, counts);
        AttemptResult recorded;
        string outcome;
        if (result.Success)
        {
            outcome = AttemptOutcome.Delivered;
            recorded = await RecordAfterPushAsync(Attempt(outcome), new AttemptEffect(DeliveryStatus.Delivered), endpoint);
            OutboundLog.Delivered(logger, target.Id, delivery.Seq, delivery.Attempt, result.StatusCode ?? 0, duration.TotalMilliseconds);
        }
        else if (result.StatusCode == 410)
        {
            outcome = AttemptOutcome.Gone;
            recorded = await RecordAfterPushAsync(Attempt(outcome), new AttemptEffect(DeliveryStatus.Gone), endpoint);
            OutboundLog.Gone(logger, target.Id, delivery.Seq, delivery.Attempt);
        }
        else if (settings.Policy.NextAttempt(delivery.Attempt, at, result.RetryAfter) is { } next)
        {
            outcome = AttemptOutcome.Retry;
            recorded = await RecordAfterPushAsync(Attempt(outcome), new AttemptEffect(DeliveryStatus.Waiting, next), endpoint);
            OutboundLog.AttemptFailed(logger, target.Id, delivery.Seq, delivery.Attempt, result.Reason, next - at);
        }
        else
        {
            // Poison first, then the record: a crash in between repeats the poison message, never loses it.
            outcome = AttemptOutcome.Failed;
            var history = await store.HistoryAsync(delivery, CancellationToken.None);
            await SendPoisonAsync(claimed, stored.Id, $"Gave up after {delivery.Attempt} attempts; last: {result.Reason}", history, Attempt(outcome), CancellationToken.None);
            recorded = await RecordAfterPushAsync(Attempt(outcome), new AttemptEffect(DeliveryStatus.Failed), endpoint);
            OutboundLog.GaveUp(logger, target.Id, delivery.Seq, delivery.Attempt, result.Reason);
        }

        metrics.Count(outcome, 1);
        return recorded;

        AttemptRecord Attempt(string outcome) => new(
            delivery, stored.Id, at, result.StatusCode, duration, result.Success ? null : result.Error ?? (result.StatusCode is { } c ? $"HTTP {c}" : null), outcome, claimed.Claim, probe);
    }

    /// <summary>
    /// Records what a push did. The push has happened, so an outage of PostgreSQL must not make it happen again: the record
    /// is retried with backoff for up to <see cref="RecordPatience"/> (well within the claim, which lasts at least a minute
    /// after the push) before the claim is left to lapse and the delivery to be pushed again.
    /// </summary>
    private async Task<AttemptResult> RecordAfterPushAsync(AttemptRecord attempt, AttemptEffect effect, EndpointEffect endpoint)
    {
        var giveUpAt = time.GetUtcNow() + RecordPatience;
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                // Successes, nearly every push, share transactions; a success always leaves the endpoint healthy.
                return effect.Status == DeliveryStatus.Delivered
                    ? new AttemptResult(null, EndpointState.Healthy, await delivered.RecordAsync(attempt, endpoint.EndpointId), false)
                    : await store.RecordAttemptAsync(attempt, effect, endpoint, CancellationToken.None);
            }
            catch (Exception ex) when (DependencyFailures.IsTransient(ex) && time.GetUtcNow() + delay < giveUpAt)
            {
                OutboundLog.RecordRetried(logger, ex, attempt.Delivery.SubscriptionId, attempt.Delivery.Seq, delay);
                await Task.Delay(delay, time, CancellationToken.None);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>The request body and content type: the stored CloudEvent as is, or Slack's <c>{"text": ...}</c>.</summary>
    internal static (string Body, string ContentType) Envelope(Uri endPoint, string cloudEvent) =>
        IsSlack(endPoint)
            ? (JsonSerializer.Serialize(new { text = cloudEvent }), "application/json")
            : (cloudEvent, CloudEventContentType);

    private static bool IsSlack(Uri endPoint) => string.Equals(endPoint.Host, SlackHost, StringComparison.OrdinalIgnoreCase);

    private Task SendPoisonAsync(ClaimedDelivery claimed, string eventId, string reason, IReadOnlyList<LoggedAttempt> logged, AttemptRecord? last, CancellationToken cancellationToken)
    {
        var delivery = claimed.Delivery;
        var at = last?.AttemptedAt ?? time.GetUtcNow();
        var history = logged.Select(a => new DeliveryAttemptEntry(a.Attempt, a.AttemptedAt, a.StatusCode, a.DurationMs, a.Error, a.Outcome)).ToList();
        if (last is not null)
        {
            history.Add(new DeliveryAttemptEntry(delivery.Attempt, at, last.StatusCode, (int)Math.Round(last.Duration.TotalMilliseconds), last.Error, last.Outcome));
        }

        var queue = queueOptions.Value.OutboundQueue;
        var poison = new DeliveryPoisonMessage(
            queue,
            $"claim:{claimed.Claim}",
            history.Count,
            reason,
            at,
            null,
            JsonSerializer.Serialize(new OutboundMessage([delivery with { Attempt = 1 }]), QueueJsonContext.Default.OutboundMessage),
            delivery.SubscriptionId,
            eventId,
            delivery.Seq,
            delivery.Registered,
            history);
        return queues.SendOutboundPoisonAsync(poison, cancellationToken);
    }
}
