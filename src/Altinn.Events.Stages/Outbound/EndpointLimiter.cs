using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// Push slots of this process. A push needs one slot of its endpoint's host (scheme, host and port:
/// <see cref="OutboundOptions.MaxConcurrencyPerEndpoint"/>), one of its consumer's share
/// (<see cref="OutboundOptions.MaxConcurrencyPerConsumer"/>, across all the consumer's endpoints) and one of the process
/// (<see cref="OutboundOptions.MaxConcurrency"/>). A push waits at most <see cref="OutboundOptions.SlotWait"/> for one: a
/// delivery that gets none is parked in PostgreSQL and drained when slots free up, so a hanging endpoint holds only its
/// own slots, a busy healthy one is served in turn, and one consumer cannot take the capacity others need.
/// </summary>
internal sealed class EndpointLimiter(IOptions<OutboundOptions> options, TimeProvider time)
{
    // How often a waiting push looks again: waiting pushes are few (bounded by the claims in flight) and a look is a lock
    // and two dictionary reads, so polling costs far less than a push.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(2);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private int _process;

    /// <summary>The key pushes to <paramref name="endPoint"/> are limited by: scheme, host and port.</summary>
    public static string HostKey(Uri endPoint) => endPoint.GetLeftPart(UriPartial.Authority).ToLowerInvariant();

    /// <summary>Pushes in flight in this process.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _process;
            }
        }
    }

    /// <summary>A slot for one push of <paramref name="consumer"/> to <paramref name="endPoint"/>, or null when any of the three limits is reached.</summary>
    public IDisposable? TryAcquire(Uri endPoint, string consumer)
    {
        var host = HostKey(endPoint);
        var settings = options.Value;
        lock (_gate)
        {
            if (_process >= settings.MaxConcurrency
                || _hosts.GetValueOrDefault(host) >= settings.MaxConcurrencyPerEndpoint
                || _consumers.GetValueOrDefault(consumer) >= settings.MaxConcurrencyPerConsumer)
            {
                return null;
            }

            _process++;
            _hosts[host] = _hosts.GetValueOrDefault(host) + 1;
            _consumers[consumer] = _consumers.GetValueOrDefault(consumer) + 1;
        }

        return new Slot(this, host, consumer);
    }

    /// <summary>A slot as <see cref="TryAcquire"/>, waiting up to <paramref name="wait"/> for one; null when none freed up.</summary>
    public async Task<IDisposable?> AcquireAsync(Uri endPoint, string consumer, TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
#pragma warning disable CA2000 // the caller owns the slot
            var slot = TryAcquire(endPoint, consumer);
#pragma warning restore CA2000
            if (slot is not null)
            {
                return slot;
            }

            if (time.GetElapsedTime(started) >= wait)
            {
                return null;
            }

            await Task.Delay(Poll, time, cancellationToken);
        }
    }

    /// <summary>How many pushes of <paramref name="consumer"/> to <paramref name="endPoint"/> could start now.</summary>
    public int Available(Uri endPoint, string consumer)
    {
        var settings = options.Value;
        lock (_gate)
        {
            return Math.Max(0, Math.Min(
                settings.MaxConcurrency - _process,
                Math.Min(settings.MaxConcurrencyPerEndpoint - _hosts.GetValueOrDefault(HostKey(endPoint)), settings.MaxConcurrencyPerConsumer - _consumers.GetValueOrDefault(consumer))));
        }
    }

    private void Release(string host, string consumer)
    {
        lock (_gate)
        {
            _process--;
            Decrement(_hosts, host);
            Decrement(_consumers, consumer);
        }
    }

    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (--counts[key] == 0)
        {
            counts.Remove(key);
        }
    }

    private sealed class Slot(EndpointLimiter owner, string host, string consumer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(host, consumer);
            }
        }
    }
}
