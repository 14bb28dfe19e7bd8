using Microsoft.Extensions.Options;

namespace Altinn.Events.Stages.Outbound;

/// <summary>
/// Push slots of this process. A push needs one slot of its endpoint's host (scheme, host and port:
/// <see cref="OutboundOptions.MaxConcurrencyPerEndpoint"/>), one of its consumer's share
/// (<see cref="OutboundOptions.MaxConcurrencyPerConsumer"/>, across all the consumer's endpoints) and one of the process
/// (<see cref="OutboundOptions.MaxConcurrency"/>). A push waits at most <see cref="OutboundOptions.SlotWait"/> for them, in
/// line per host (a freed slot goes straight to the first waiter that may take it): a delivery that gets none is parked in
/// PostgreSQL and drained when slots free up, so a hanging endpoint holds only its own slots, a busy healthy one is served
/// in turn, and one consumer cannot take the capacity others need.
/// </summary>
internal sealed class EndpointLimiter(IOptions<OutboundOptions> options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedList<Waiter>> _waiting = new(StringComparer.Ordinal);
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

    /// <summary>
    /// A slot for one push of <paramref name="consumer"/> to <paramref name="endPoint"/>, waiting in line up to
    /// <paramref name="wait"/> for one; null when none came.
    /// </summary>
    public async Task<IDisposable?> AcquireAsync(Uri endPoint, string consumer, TimeSpan wait)
    {
        var host = HostKey(endPoint);
        var granted = new List<(Waiter Waiter, Slot Slot)>();
        Waiter waiter;
        lock (_gate)
        {
            // Nobody overtakes those already in line for the host.
            if (CanTake(host, consumer) && !_waiting.ContainsKey(host))
            {
                return Take(host, consumer);
            }

            if (wait <= TimeSpan.Zero)
            {
                return null;
            }

            if (!_waiting.TryGetValue(host, out var line))
            {
                line = new LinkedList<Waiter>();
                _waiting[host] = line;
            }

            waiter = new Waiter(consumer);
            waiter.Node = line.AddLast(waiter);

            // Those ahead may be held back by their own consumers' shares, not by the host: this one may go at once.
            Grant(host, granted);
        }

        Complete(granted);

        using var timeout = new CancellationTokenSource(wait, time);
        await using (timeout.Token.Register(() => GiveUp(host, waiter)))
        {
            return await waiter.Slot.Task;
        }
    }

    /// <summary>How many pushes of <paramref name="consumer"/> to <paramref name="endPoint"/> could start now.</summary>
    public int Available(Uri endPoint, string consumer)
    {
        var settings = options.Value;
        var host = HostKey(endPoint);
        lock (_gate)
        {
            if (_waiting.ContainsKey(host))
            {
                return 0;
            }

            return Math.Max(0, Math.Min(
                settings.MaxConcurrency - _process,
                Math.Min(settings.MaxConcurrencyPerEndpoint - _hosts.GetValueOrDefault(host), settings.MaxConcurrencyPerConsumer - _consumers.GetValueOrDefault(consumer))));
        }
    }

    private bool CanTake(string host, string consumer)
    {
        var settings = options.Value;
        return _process < settings.MaxConcurrency
            && _hosts.GetValueOrDefault(host) < settings.MaxConcurrencyPerEndpoint
            && _consumers.GetValueOrDefault(consumer) < settings.MaxConcurrencyPerConsumer;
    }

    // Under the lock.
    private Slot Take(string host, string consumer)
    {
        _process++;
        _hosts[host] = _hosts.GetValueOrDefault(host) + 1;
        _consumers[consumer] = _consumers.GetValueOrDefault(consumer) + 1;
        return new Slot(this, host, consumer);
    }

    private void GiveUp(string host, Waiter waiter)
    {
        var granted = new List<(Waiter Waiter, Slot Slot)>();
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return; // granted meanwhile
            }

            Remove(host, waiter);

            // It may have been the one holding the line: those behind it may go now.
            Grant(host, granted);
        }

        waiter.Slot.TrySetResult(null);
        Complete(granted);
    }

    private static void Complete(List<(Waiter Waiter, Slot Slot)> granted)
    {
        foreach (var (waiter, slot) in granted)
        {
            if (!waiter.Slot.TrySetResult(slot))
            {
                slot.Dispose();
            }
        }
    }

    // Under the lock.
    private void Remove(string host, Waiter waiter)
    {
        var line = waiter.Node!.List!;
        line.Remove(waiter.Node);
        if (line.Count == 0)
        {
            _waiting.Remove(host);
        }
    }

    private void Release(string host, string consumer)
    {
        var granted = new List<(Waiter Waiter, Slot Slot)>();
        lock (_gate)
        {
            var settings = options.Value;
            var processWasFull = _process >= settings.MaxConcurrency;
            var consumerWasFull = _consumers.GetValueOrDefault(consumer) >= settings.MaxConcurrencyPerConsumer;
            _process--;
            Decrement(_hosts, host);
            Decrement(_consumers, consumer);

            // The freed slot goes to the first waiter of this host that may take it; when the process or this consumer's
            // share was what held others back, waiters of other hosts may go too.
            Grant(host, granted);
            if (_waiting.Count > 0 && (processWasFull || consumerWasFull))
            {
                foreach (var other in _waiting.Keys.Where(k => k != host).ToList())
                {
                    Grant(other, granted);
                }
            }
        }

        Complete(granted);
    }

    // Under the lock: grants the waiters of one host that may take a slot now, first come first served.
    private void Grant(string host, List<(Waiter, Slot)> granted)
    {
        if (!_waiting.TryGetValue(host, out var line))
        {
            return;
        }

        for (var node = line.First; node is not null;)
        {
            var next = node.Next;
            if (_process >= options.Value.MaxConcurrency || _hosts.GetValueOrDefault(host) >= options.Value.MaxConcurrencyPerEndpoint)
            {
                break;
            }

            if (_consumers.GetValueOrDefault(node.Value.Consumer) < options.Value.MaxConcurrencyPerConsumer)
            {
                var waiter = node.Value;
                Remove(host, waiter);
                granted.Add((waiter, Take(host, waiter.Consumer)));
            }

            node = next;
        }
    }

    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (--counts[key] == 0)
        {
            counts.Remove(key);
        }
    }

    private sealed class Waiter(string consumer)
    {
        public string Consumer { get; } = consumer;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource<IDisposable?> Slot { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
