using System.Collections.Concurrent;
using Altinn.Events.Core.Resilience;

namespace Altinn.Events.Persistence.Delivery;

/// <summary>
/// Records successful pushes in shared transactions. A healthy subscriber's pushes are almost all successes, and one
/// transaction each made PostgreSQL the busiest process under load (docs/benchmarks.md, S2). Whoever records when no write
/// is under way writes at once, so a lone push pays one round trip as before; pushes that finish while a write is under way
/// go together in the next one. A shared write that fails for a reason other than an outage is tried again one attempt at
/// a time, so one bad row cannot fail the others; an outage fails them all, for their callers to retry.
/// </summary>
public sealed class DeliveredBatcher(DeliveryStore store)
{
    /// <summary>Most attempts in one statement.</summary>
    public const int MaxBatch = 500;

    private readonly ConcurrentQueue<Pending> _queue = new();
    private int _writing;

    /// <summary>Records a successful push; returns whether the delivery still held the push's claim.</summary>
    public Task<bool> RecordAsync(AttemptRecord attempt, Guid endpointId)
    {
        var pending = new Pending(attempt, endpointId, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        _queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = Task.Run(WriteAsync);
        }

        return pending.Completion.Task;
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.TryDequeue(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count > 0)
            {
                await WriteBatchAsync(batch);
                continue;
            }

            // Nothing left: stop writing, unless a record arrived between the last dequeue and here.
            Volatile.Write(ref _writing, 0);
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        // A delivery can be in a statement once (ON CONFLICT touches a row once); a second success of the same delivery,
        // which a redelivery racing its own push can make, waits for the next write.
        var seen = new HashSet<(Guid, long, DateTimeOffset)>();
        var now = new List<Pending>(batch.Count);
        foreach (var pending in batch)
        {
            var delivery = pending.Attempt.Delivery;
            if (seen.Add((delivery.SubscriptionId, delivery.Seq, delivery.Registered)))
            {
                now.Add(pending);
            }
            else
            {
                _queue.Enqueue(pending);
            }
        }

        try
        {
            var recorded = await store.RecordDeliveredAsync([.. now.Select(p => (p.Attempt, p.EndpointId))], CancellationToken.None);
            foreach (var pending in now)
            {
                pending.Completion.TrySetResult(recorded.Contains((pending.Attempt.Delivery.SubscriptionId, pending.Attempt.Delivery.Seq)));
            }
        }
        catch (Exception ex) when (now.Count > 1 && TransientFailures.Classify(ex) is null)
        {
            foreach (var pending in now)
            {
                await WriteBatchAsync([pending]);
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in now)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private sealed record Pending(AttemptRecord Attempt, Guid EndpointId, TaskCompletionSource<bool> Completion);
}
