namespace Altinn.Events.Messaging.Listener;

/// <summary>
/// A listener's shared backoff while a dependency is down: the first failure pauses receiving for
/// <see cref="QueueListenerOptions.OutageBaseDelay"/>, each failure after a pause ended doubles it up to
/// <see cref="QueueListenerOptions.OutageMaxDelay"/>, and one success ends it. Failures of messages that were already in
/// flight when the pause began count once, so a batch of 32 failing together does not jump to the longest delay.
/// </summary>
internal sealed class OutageBackoff(TimeProvider time)
{
    private readonly Lock _gate = new();
    private int _failures;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private TimeSpan _current;

    /// <summary>Records a failure; returns how long the failed message should stay invisible (whole seconds).</summary>
    public TimeSpan Failed(QueueListenerOptions options)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now >= _pausedUntil)
            {
                _failures = Math.Min(_failures + 1, 30);
                var seconds = Math.Min(options.OutageBaseDelay.TotalSeconds * Math.Pow(2, _failures - 1), options.OutageMaxDelay.TotalSeconds);
                _current = TimeSpan.FromSeconds(seconds);
                _pausedUntil = now + _current;
            }

            // The storage service counts visibility in whole seconds; the message comes back when the pause ends.
            return TimeSpan.FromSeconds(Math.Ceiling((_pausedUntil - now).TotalSeconds));
        }
    }

    public void Succeeded()
    {
        lock (_gate)
        {
            _failures = 0;
            _pausedUntil = DateTimeOffset.MinValue;
        }
    }

    /// <summary>How long receiving should still wait, or null when not paused.</summary>
    public TimeSpan? PausedFor()
    {
        lock (_gate)
        {
            var left = _pausedUntil - time.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }
}
