using System.Collections.Concurrent;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Persistence.Delivery;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// The outbound stage's timer-triggered half, beside the queue function: every <see cref="OutboundOptions.SchedulerInterval"/>
/// (at once again while it finds full batches) it claims the deliveries that are due in PostgreSQL (retries, lapsed claims
/// of a dead instance, queued deliveries whose message was lost) and pushes them after asking the PDP again, gives up
/// those that waited on an open endpoint for the schedule's span, probes open endpoints whose probe is due (one
/// delivery each), and drains the backlog of every endpoint that is not open, oldest first, as fast as its slots free up.
/// Every claim is atomic with SKIP LOCKED, so any number of outbound instances run this side by side.
/// </summary>
internal sealed class DeliveryScheduler(
    DeliverySchedule schedule,
    DeliveryPusher pusher,
    EndpointLimiter limiter,
    IOptions<OutboundOptions> options,
    OutboundMetrics metrics,
    TimeProvider time,
    ILogger<DeliveryScheduler> logger) : BackgroundService
{
    private const int ProbesPerRound = 64;
    private const int BacklogsPerRound = 256;
    private const int MaxDrainClaim = 4000;
    private static readonly TimeSpan CountEvery = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<Guid, Task> _drains = new();
    private DateTimeOffset _nextCount = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            try
            {
                more = await RoundAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A database or PDP outage: nothing was lost (claims lapse), so try again after the interval.
                OutboundLog.SchedulerFailed(logger, ex);
            }

            if (!more)
            {
                try
                {
                    await Task.Delay(options.Value.SchedulerInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        // Let pushes that are under way record their outcome; whatever does not finish is pushed again when its claim lapses.
        var pending = Task.WhenAll([.. _drains.Values, .. pusher.InFlight]);
        await Task.WhenAny(pending, Task.Delay(StopWait, time, CancellationToken.None));
    }

    /// <summary>One round; true when it claimed a full batch of due deliveries (more may be due at once).</summary>
    internal async Task<bool> RoundAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var due = await schedule.ClaimDueAsync(settings.SchedulerBatchSize, Guid.NewGuid(), now, now + settings.ClaimFor, cancellationToken);
        await pusher.GiveUpAsync([.. due.Where(d => d.PreviousStatus == DeliveryStatus.Parked)], cancellationToken);
        await pusher.RunAsync([.. due.Where(d => d.PreviousStatus != DeliveryStatus.Parked)], new PushMode(Reauthorize: true), cancellationToken);

        foreach (var endpoint in await schedule.ClaimProbesAsync(ProbesPerRound, now, now + settings.ClaimFor, cancellationToken))
        {
            await ProbeAsync(endpoint, cancellationToken);
        }

        foreach (var endpoint in await schedule.BacklogsAsync(BacklogsPerRound, cancellationToken))
        {
            StartDrain(endpoint, cancellationToken);
        }

        if (now >= _nextCount)
        {
            var (open, waiting) = await schedule.CountsAsync(cancellationToken);
            metrics.Observe(open, waiting);
            _nextCount = now + CountEvery;
        }

        return due.Count == settings.SchedulerBatchSize;
    }

    /// <summary>Pushes the oldest parked delivery of an open endpoint as its probe; the outcome moves or closes the endpoint.</summary>
    private async Task ProbeAsync(EndpointRef endpoint, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        IReadOnlyList<ClaimedDelivery> claimed = [];
        foreach (var (subscriptionId, _, _) in await schedule.SubscriptionsOfAsync(endpoint.Id, cancellationToken))
        {
            claimed = await schedule.ClaimParkedAsync(subscriptionId, 1, Guid.NewGuid(), now, now + settings.ClaimFor, cancellationToken);
            if (claimed.Count > 0)
            {
                break;
            }
        }

        if (claimed.Count == 0)
        {
            await schedule.HalfOpenAsync(endpoint.Id, now, cancellationToken);
            return;
        }

        OutboundLog.Probing(logger, endpoint.Id, claimed[0].Delivery.SubscriptionId, claimed[0].Delivery.Seq);
        var probe = await pusher.RunAsync(claimed, new PushMode(Reauthorize: true, Probe: true), cancellationToken);
        if (probe.Pushes == 0)
        {
            // The delivery was skipped (or found no slot): probe with another one in the next round.
            await schedule.ProbeAtAsync(endpoint.Id, now, cancellationToken);
        }
    }

    private void StartDrain(EndpointRef endpoint, CancellationToken cancellationToken)
    {
        if (_drains.ContainsKey(endpoint.Id))
        {
            return;
        }

        var task = DrainAsync(endpoint, cancellationToken);
        if (!_drains.TryAdd(endpoint.Id, task))
        {
            return;
        }

        _ = task.ContinueWith(
            t =>
            {
                _drains.TryRemove(endpoint.Id, out _);
                if (t.Exception is { } ex)
                {
                    OutboundLog.SchedulerFailed(logger, ex.GetBaseException());
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// Pushes an endpoint's parked deliveries, oldest first per subscription, each claim as large as the slots free now,
    /// until nothing is parked (then marks the backlog version it started from drained) or the endpoint opens again.
    /// </summary>
    private async Task DrainAsync(EndpointRef endpoint, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var settings = options.Value;
        var uri = new Uri(endpoint.EndPoint);
        var subscriptions = (await schedule.SubscriptionsOfAsync(endpoint.Id, cancellationToken)).ToList();
        var inFlight = new List<Task>();
        long pushed = 0;
        var next = 0;
        OutboundLog.Draining(logger, endpoint.Id);
        while (subscriptions.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            inFlight.RemoveAll(t => t.IsCompleted);
            var (subscriptionId, consumer, perPush) = subscriptions[next % subscriptions.Count];
            var free = limiter.Available(uri, consumer);
            if (free == 0)
            {
                await WaitForASlotAsync(inFlight, cancellationToken);
                continue;
            }

            // As many as can start now, and as many again to wait (SlotWait) for the slots those free: fewer round trips. A
            // batched subscription's request carries up to PerPush deliveries.
            var now = time.GetUtcNow();
            var limit = (int)Math.Min(MaxDrainClaim, (long)(free + settings.MaxConcurrencyPerEndpoint) * perPush);
            var claimed = await schedule.ClaimParkedAsync(subscriptionId, limit, Guid.NewGuid(), now, now + settings.ClaimFor, cancellationToken);
            if (claimed.Count == 0)
            {
                subscriptions.RemoveAt(next % subscriptions.Count);
                continue;
            }

            next++;
            var batch = await pusher.RunAsync(claimed, new PushMode(Reauthorize: true), cancellationToken);
            pushed += batch.Pushes;
            inFlight.Add(batch.Done);
            if (batch.Pushes == 0 && await schedule.StateOfAsync(endpoint.Id, cancellationToken) == EndpointState.Open)
            {
                // It failed again while draining: what is left waits for the next probe.
                return;
            }

            if (batch.Pushes >= free)
            {
                await WaitForASlotAsync(inFlight, cancellationToken);
            }
        }

        if (subscriptions.Count == 0)
        {
            await schedule.MarkDrainedAsync(endpoint.Id, endpoint.Version, cancellationToken);
            OutboundLog.Drained(logger, endpoint.Id, pushed);
        }
    }

    private async Task WaitForASlotAsync(List<Task> inFlight, CancellationToken cancellationToken)
    {
        // Our own pushes tell when a slot frees; others' (the queue function's) are polled.
        var poll = Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
        await (inFlight.Count > 0 ? Task.WhenAny(Task.WhenAny(inFlight), poll) : poll);
    }
}
