namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// The push rate an endpoint granted in the CloudEvents webhook handshake (<c>WebHook-Allowed-Rate</c>, requests per
/// minute), kept per endpoint in this process: requests to it are spaced 60 s / rate apart, a batched push counting as
/// one request. A push whose turn comes within <see cref="Horizon"/> waits for it in memory (holding its claim, but no
/// slot, so other endpoints are not held up); one whose turn is further off is not reserved and is deferred in
/// PostgreSQL until about then. Nothing is dropped: a rate only delays.
/// </summary>
internal sealed class RateGate(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, DateTimeOffset> _next = [];

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
                }
            }

            return turn - now;
        }
    }
}
