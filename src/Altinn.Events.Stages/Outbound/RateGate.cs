namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// The push rate an endpoint granted in the CloudEvents webhook handshake (<c>WebHook-Allowed-Rate</c>, requests per
/// minute), kept per endpoint in this process: requests to it are spaced 60 s / rate apart, a batched push counting as
/// one request. A push whose turn comes within <see cref="Horizon"/> waits for it in memory (holding its claim, but no
/// slot, so other endpoints are not held up); one whose turn is further off is not reserved and is deferred in
/// PostgreSQL until about then. Nothing is dropped: a rate only delays. A turn only says when a push may try: the pushes
/// of one endpoint then pass its <see cref="EnterAsync">line</see> one at a time, each leaving at least an interval after
/// the one before it was sent (<see cref="MarkSent"/>), so a wait for a push slot cannot bunch them up.
/// </summary>
internal sealed class RateGate(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, DateTimeOffset> _next = [];
    private readonly Dictionary<Guid, DateTimeOffset> _sent = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, SemaphoreSlim> _lines = new();

    /// <summary>The longest a push waits in memory for its turn: <see cref="OutboundOptions.SlotWait"/>, between 1 and 30 seconds.</summary>
    public static TimeSpan Horizon(OutboundOptions options) =>
        options.SlotWait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : options.SlotWait > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : options.SlotWait;

    /// <summary>The time between two requests at <paramref name="perMinute"/> requests a minute.</summary>
    public static TimeSpan Interval(int perMinute) => TimeSpan.FromTicks(TimeSpan.TicksPerMinute / Math.Max(1, perMinute));

    /// <summary>
    /// Reserves the next turn of <paramref name="endpointId"/> at <paramref name="perMinute"/>: how long to wait for it, or
    /// null when it is more than <paramref name="horizon"/> away (then nothing is reserved and <paramref name="turn"/> says
    /// when the next free turn is).
    /// </summary>
    public TimeSpan? Reserve(Guid endpointId, int perMinute, TimeSpan horizon, out DateTimeOffset turn)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            turn = _next.TryGetValue(endpointId, out var next) && next > now ? next : now;
            if (_sent.TryGetValue(endpointId, out var sent) && sent + Interval(perMinute) > turn)
            {
                turn = sent + Interval(perMinute);
            }

            if (turn - now > horizon)
            {
                return null;
            }

            _next[endpointId] = turn + Interval(perMinute);
            if (_next.Count > 10_000)
            {
                // Forget endpoints whose turn has passed: they may go at once anyway.
                foreach (var stale in _next.Where(e => e.Value <= now).Select(e => e.Key).ToList())
                {
                    _next.Remove(stale);
                    _sent.Remove(stale);
                }
            }

            return turn - now;
        }
    }

    /// <summary>Waits for the endpoint's line: one push of it at a time between its turn and being sent.</summary>
    public async Task<IDisposable> EnterAsync(Guid endpointId)
    {
        var line = _lines.GetOrAdd(endpointId, _ => new SemaphoreSlim(1, 1));
        await line.WaitAsync();
        return new Lease(line);
    }

    /// <summary>How long until an interval has passed since the endpoint's last push was sent (zero when it has).</summary>
    public TimeSpan UntilNext(Guid endpointId, int perMinute)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            return _sent.TryGetValue(endpointId, out var sent) && sent + Interval(perMinute) > now ? sent + Interval(perMinute) - now : TimeSpan.Zero;
        }
    }

    /// <summary>Records that a push to the endpoint is being sent now.</summary>
    public void MarkSent(Guid endpointId, int perMinute)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _sent[endpointId] = now;
            if (!_next.TryGetValue(endpointId, out var next) || next < now + Interval(perMinute))
            {
                _next[endpointId] = now + Interval(perMinute);
            }
        }
    }

    private sealed class Lease(SemaphoreSlim line) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                line.Release();
            }
        }
    }
}
