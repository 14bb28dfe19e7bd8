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

/// <summary>Reads committed outbox rows and removes them once they have been handed on.</summary>
public sealed class Outbox(NpgsqlDataSource dataSource)
{
    private const string TakeSql = "SELECT seq, registered FROM outbox ORDER BY seq LIMIT @max FOR UPDATE SKIP LOCKED";
    private const string DeleteSql = "DELETE FROM outbox WHERE seq = ANY(@seqs)";

    /// <summary>
    /// Takes up to <paramref name="max"/> rows no other relay holds, passes them to <paramref name="send"/>, and deletes
    /// them in the same transaction only when it returns. If it throws (or the process dies), the rows stay and are
    /// sent again: delivery to the queue is at least once.
    /// </summary>
    /// <returns>How many rows were relayed.</returns>
    public async Task<int> RelayAsync(int max, Func<IReadOnlyList<EventReference>, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(long Seq, DateTime Registered)>(new CommandDefinition(TakeSql, new { max }, transaction, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0)
        {
            return 0;
        }

        await send([.. rows.Select(r => new EventReference(r.Seq, new DateTimeOffset(r.Registered, TimeSpan.Zero)))], cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { seqs = rows.Select(r => r.Seq).ToArray() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return rows.Count;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM outbox", cancellationToken: cancellationToken));
    }
}
