using System.Collections.Concurrent;

namespace Altinn.Events.Messaging.Wakeups;

/// <summary>
/// In-process wake-ups per queue: a listener that found its queue empty waits here (up to its poll interval) instead of
/// sleeping, and is woken as soon as a message was sent to that queue, by this process or, through
/// <see cref="PostgresWakeupListener"/>, by any other. Each queue has a version that every wake-up bumps; a listener
/// reads it before it receives, so a wake-up that lands between an empty receive and the wait is not missed.
/// </summary>
public sealed class QueueWakeups
{
    private readonly ConcurrentDictionary<string, Channel> _queues = new(StringComparer.Ordinal);

    /// <summary>The queue's current version; pass it to <see cref="WaitAsync"/> after a receive that found nothing.</summary>
    public long Version(string queue) => Get(queue).Version;

    /// <summary>Wakes every listener waiting on <paramref name="queue"/>.</summary>
    public void Wake(string queue) => Get(queue).Wake();

    /// <summary>Wakes every listener (after a gap in the signals, when anything may have been missed).</summary>
    public void WakeAll()
    {
        foreach (var channel in _queues.Values)
        {
            channel.Wake();
        }
    }

    /// <summary>
    /// Returns when <paramref name="queue"/> was woken since <paramref name="seenVersion"/>, or after
    /// <paramref name="timeout"/> (the fallback poll).
    /// </summary>
    /// <returns>True when woken, false when the timeout passed.</returns>
    public async Task<bool> WaitAsync(string queue, long seenVersion, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var woken = Get(queue).WokenSince(seenVersion);
        if (woken.IsCompleted)
        {
            return true;
        }

        try
        {
            await woken.WaitAsync(timeout, time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private Channel Get(string queue) => _queues.GetOrAdd(queue, _ => new Channel());

    private sealed class Channel
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Version { get; private set; }

        public void Wake()
        {
            TaskCompletionSource woken;
            lock (_gate)
            {
                Version++;
                woken = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            woken.TrySetResult();
        }

        public Task WokenSince(long seenVersion)
        {
            lock (_gate)
            {
                return Version != seenVersion ? Task.CompletedTask : _next.Task;
            }
        }
    }
}

/// <summary>Tells the listeners of a queue, in every process, that a message was just sent to it.</summary>
public interface IQueueAnnouncer
{
    /// <summary>Best effort and never blocking: a lost announcement costs a listener at most its fallback poll.</summary>
    void Announce(string queue);
}

/// <summary>Wakes listeners of this process only (no database configured).</summary>
internal sealed class LocalQueueAnnouncer(QueueWakeups wakeups) : IQueueAnnouncer
{
    public void Announce(string queue) => wakeups.Wake(queue);
}
