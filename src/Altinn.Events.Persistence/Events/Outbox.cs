using Altinn.Events.Core.Events;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>Wakes the outbox relay when new rows have committed, so it need not wait for its next poll.</summary>
public interface IOutboxSignal
{
    void Notify();

    Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken);
}

internal sealed class OutboxSignal : IOutboxSignal, IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    public void Dispose() => _signal.Dispose();

    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _signal.WaitAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Poll interval elapsed.
        }
    }
}

/// <summary>
/// The outbox: one row per stored event that the inbound stage has not yet matched. The relay leases rows to the inbound
/// queue; the inbound stage deletes them in the transaction that records the events' deliveries; a row whose lease ends
/// first (its message was lost, purged or poisoned) is sent again. The queue message is a hint, the row is the truth.
/// </summary>
public sealed class Outbox(NpgsqlDataSource dataSource)
{
    // Rows due, oldest first; a row another relay holds is skipped. Fresh rows are due at their registration, resent ones
    // when their lease ends, so the two are served in time order.
    private const string TakeSql = "SELECT seq, registered, sends FROM outbox WHERE due <= @now ORDER BY due, seq LIMIT @max FOR UPDATE SKIP LOCKED";

    // A row's lease doubles with every send (lease, 2 x lease, ...) up to maxLease: a message lost once is sent again soon,
    // and an inbound stage that is merely behind does not get a copy of its whole backlog every lease.
    private const string LeaseSql = """
        UPDATE outbox SET sends = sends + 1,
            due = @now + LEAST(@lease * power(2, LEAST(sends, 30)), @maxLease)
        WHERE seq = ANY(@seqs)
        """;

    private const string SettleSql = "DELETE FROM outbox WHERE seq = ANY(@seqs)";

    /// <summary>
    /// Takes up to <paramref name="max"/> due rows no other relay holds, passes them to <paramref name="send"/>, and, when it
    /// returns, leases them (due again after the lease) in the same transaction. If it throws (or the process dies), the
    /// rows stay due and are sent again at once: delivery to the queue is at least once.
    /// </summary>
    /// <returns>How many rows were relayed, and how many of them had been sent before.</returns>
    public async Task<(int Relayed, int Resent)> RelayAsync(int max, DateTimeOffset now, TimeSpan lease, TimeSpan maxLease, Func<IReadOnlyList<EventReference>, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long Seq, DateTime Registered, int Sends)>(new CommandDefinition(TakeSql, new { max, now = now.ToUniversalTime() }, transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0)
        {
            return (0, 0);
        }

        await send([.. rows.Select(r => new EventReference(r.Seq, new DateTimeOffset(r.Registered, TimeSpan.Zero)))], cancellationToken);
        var parameters = new { seqs = rows.Select(r => r.Seq).ToArray(), now = now.ToUniversalTime(), lease, maxLease };
        await connection.ExecuteAsync(new CommandDefinition(LeaseSql, parameters, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (rows.Count, rows.Count(r => r.Sends > 0));
    }

    /// <summary>
    /// Deletes the rows of events the inbound stage has matched, inside the caller's transaction (the one that records
    /// their deliveries), so a row is gone exactly when its event's deliveries are recorded.
    /// </summary>
    public static Task SettleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(SettleSql, new { seqs = seqs.ToArray() }, transaction, cancellationToken: cancellationToken));

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM outbox", cancellationToken: cancellationToken));
    }
}
