using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// Bounds the pushes in flight per endpoint and in the whole process, so a slow or dead endpoint holds at most
/// <see cref="OutboundOptions.MaxConcurrencyPerEndpoint"/> pushes and never the capacity healthy endpoints need.
/// Endpoints are keyed by scheme, host, port and path; an entry lives only while someone uses it.
/// </summary>
internal sealed class EndpointLimiter(IOptions<OutboundOptions> options) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _endpoints = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _process = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);

    /// <summary>A slot for one push to <paramref name="endPoint"/>, or null when none freed up within <paramref name="wait"/>.</summary>
    public async Task<IDisposable?> AcquireAsync(Uri endPoint, TimeSpan wait, CancellationToken cancellationToken)
    {
        var key = endPoint.GetLeftPart(UriPartial.Path).ToLowerInvariant();
        Entry entry;
        lock (_gate)
        {
            if (!_endpoints.TryGetValue(key, out entry!))
            {
                entry = new Entry(options.Value.MaxConcurrencyPerEndpoint);
                _endpoints[key] = entry;
            }

            entry.Users++;
        }

        var holdsEndpoint = false;
        try
        {
            holdsEndpoint = await entry.Slots.WaitAsync(wait, cancellationToken);
            if (holdsEndpoint && await _process.WaitAsync(wait, cancellationToken))
            {
                return new Slot(this, key, entry);
            }
        }
        catch
        {
            Leave(key, entry, holdsEndpoint);
            throw;
        }

        Leave(key, entry, holdsEndpoint);
        return null;
    }

    public void Dispose() => _process.Dispose();

    private void Leave(string key, Entry entry, bool releaseEndpoint)
    {
        if (releaseEndpoint)
        {
            entry.Slots.Release();
        }

        lock (_gate)
        {
            if (--entry.Users == 0)
            {
                _endpoints.Remove(key);
                entry.Slots.Dispose();
            }
        }
    }

    private sealed class Entry(int slots)
    {
        public SemaphoreSlim Slots { get; } = new(slots, slots);

        public int Users { get; set; }
    }

    private sealed class Slot(EndpointLimiter owner, string key, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner._process.Release();
                owner.Leave(key, entry, releaseEndpoint: true);
            }
        }
    }
}
