namespace Altinn.Events.Client.Webhooks;

/// <summary>What a duplicate store knows of a <c>webhook-id</c>.</summary>
public enum DeliveryState
{
    /// <summary>Not seen: it is now reserved for the caller, which must <see cref="IWebhookDuplicateStore.CompleteAsync"/> or <see cref="IWebhookDuplicateStore.ReleaseAsync"/> it.</summary>
    New,

    /// <summary>Another request with the same id is being handled right now.</summary>
    InProgress,

    /// <summary>Already handled: a duplicate.</summary>
    Done,
}

/// <summary>
/// Remembers which pushes (by <c>webhook-id</c>, the same for every retry of one delivery) the application has handled,
/// so each is handed over once. Implement it over a database or a distributed cache when several instances share an
/// endpoint; <see cref="InMemoryWebhookDuplicateStore"/> is the default for one instance.
/// </summary>
public interface IWebhookDuplicateStore
{
    /// <summary>Reserves <paramref name="webhookId"/> when it is new; otherwise says whether it is in progress or done.</summary>
    ValueTask<DeliveryState> TryReserveAsync(string webhookId, CancellationToken cancellationToken);

    /// <summary>Marks a reserved id handled: later requests with it are duplicates.</summary>
    ValueTask CompleteAsync(string webhookId, CancellationToken cancellationToken);

    /// <summary>Forgets a reservation whose handling failed, so the service's retry is handled.</summary>
    ValueTask ReleaseAsync(string webhookId, CancellationToken cancellationToken);
}

/// <summary>
/// Handled ids in memory, each kept for <paramref name="retention"/> (default 48 hours: longer than the service's retry
/// span of about 35 hours) and at most <paramref name="capacity"/> of them (default 100 000; the oldest go first). An id
/// reserved but neither completed nor released within <paramref name="reservationTimeout"/> (default 5 minutes) counts as
/// new again.
/// </summary>
public sealed class InMemoryWebhookDuplicateStore(TimeProvider? time = null, TimeSpan? retention = null, int capacity = 100_000, TimeSpan? reservationTimeout = null) : IWebhookDuplicateStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly TimeSpan _retention = retention ?? TimeSpan.FromHours(48);
    private readonly TimeSpan _reservationTimeout = reservationTimeout ?? TimeSpan.FromMinutes(5);
    private readonly int _capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Ids currently remembered (done or in progress).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<DeliveryState> TryReserveAsync(string webhookId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(webhookId);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            Expire(now);
            if (_entries.TryGetValue(webhookId, out var entry))
            {
                if (entry.Done)
                {
                    return ValueTask.FromResult(DeliveryState.Done);
                }

                if (now - entry.At < _reservationTimeout)
                {
                    return ValueTask.FromResult(DeliveryState.InProgress);
                }

                Remove(webhookId, entry);
            }

            while (_entries.Count >= _capacity && _order.First is { } oldest)
            {
                Remove(oldest.Value, _entries[oldest.Value]);
            }

            _entries[webhookId] = new Entry(now, Done: false, _order.AddLast(webhookId));
            return ValueTask.FromResult(DeliveryState.New);
        }
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(string webhookId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_entries.TryGetValue(webhookId, out var entry))
            {
                _order.Remove(entry.Node);
                _entries[webhookId] = new Entry(now, Done: true, _order.AddLast(webhookId));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string webhookId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(webhookId, out var entry) && !entry.Done)
            {
                Remove(webhookId, entry);
            }
        }

        return ValueTask.CompletedTask;
    }

    private void Expire(DateTimeOffset now)
    {
        while (_order.First is { } oldest && _entries[oldest.Value] is var entry && entry.Done && now - entry.At >= _retention)
        {
            Remove(oldest.Value, entry);
        }
    }

    private void Remove(string webhookId, Entry entry)
    {
        _order.Remove(entry.Node);
        _entries.Remove(webhookId);
    }

    private sealed record Entry(DateTimeOffset At, bool Done, LinkedListNode<string> Node);
}

/// <summary>
/// The secrets a receiver accepts: the one from <see cref="AltinnEventsClient.CreateSubscriptionAsync"/>, and during a
/// rotation the old and the new. Thread-safe; change it at run time (e.g. right after subscribing).
/// </summary>
public sealed class WebhookSecrets
{
    private readonly Lock _lock = new();
    private volatile string[] _secrets = [];

    /// <summary>The secrets accepted now.</summary>
    public IReadOnlyList<string> Current => _secrets;

    /// <summary>Accepts <paramref name="secret"/> too.</summary>
    public void Add(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        lock (_lock)
        {
            if (!_secrets.Contains(secret, StringComparer.Ordinal))
            {
                _secrets = [.. _secrets, secret];
            }
        }
    }

    /// <summary>Stops accepting <paramref name="secret"/> (after a rotation).</summary>
    public void Remove(string secret)
    {
        lock (_lock)
        {
            _secrets = [.. _secrets.Where(s => !string.Equals(s, secret, StringComparison.Ordinal))];
        }
    }

    /// <summary>Accepts exactly <paramref name="secrets"/>.</summary>
    public void Set(params IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = [.. secrets.Distinct(StringComparer.Ordinal)];
    }
}
