using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>What one indexing batch did.</summary>
/// <param name="Events">Events indexed (0: caught up, or <paramref name="Busy"/>).</param>
/// <param name="Rows">Index rows written (one per holder of each event's party).</param>
/// <param name="Cursor">The last sequence number indexed (-1 when <paramref name="Busy"/>).</param>
/// <param name="Busy">Another indexer had the turn: nothing was read; try again later.</param>
public readonly record struct HolderIndexResult(int Events, int Rows, long Cursor, bool Busy = false);

/// <summary>What one step of deleting withdrawn pairs' rows did.</summary>
/// <param name="Pairs">Withdrawn (holder, party) pairs of the holder the step walked (0: none are waiting, or <paramref name="Busy"/>).</param>
/// <param name="Rows">Index rows deleted.</param>
/// <param name="Finished">Pairs done with: walked to the end of the holder's rows, or granted again.</param>
/// <param name="More">The step's chunk was full: the walk goes on at the next step.</param>
/// <param name="Busy">Another indexer had the turn: nothing was done; try again later.</param>
public readonly record struct HolderSweepResult(int Pairs, int Rows, int Finished, bool More, bool Busy = false);

/// <summary>
/// The holder index's writer (migration 0016): the events after its cursor, each with a row for every consumer holding
/// a role for its party in the local register. A batch first tries the indexer's advisory lock (<see cref="TurnLockKey"/>,
/// for the transaction), so a second instance skips the round instead of waiting; then it locks the cursor row (which a
/// grant's back-fill locks too, see the migration), and in one statement (one snapshot) reads the next events in sequence
/// order with their parties' holders, writes the rows and advances the cursor. Events commit in sequence order, so nothing
/// below the cursor can still appear, and a batch is indexed exactly once whatever crashes. The publish path is untouched.
/// It also deletes the rows of withdrawn rights (<see cref="DeleteWithdrawnAsync"/>) and of expired events
/// (<see cref="DeleteExpiredAsync"/>).
/// </summary>
public sealed class HolderIndexStore(NpgsqlDataSource dataSource)
{
    /// <summary>The advisory lock whose holder indexes ("AltnEvHo"); per database.</summary>
    public const long TurnLockKey = 0x416c746e4576486f;

    private const string TryTurnSql = "SELECT pg_try_advisory_xact_lock(@key)";

    private const string LockCursorSql = "SELECT seq, registered FROM holder_index_cursor WHERE name = 'holders' FOR UPDATE";

    // The floor allows the writers' clock margin, as the query cursors do, and lets PostgreSQL skip older day partitions.
    private const string IndexNextSql = """
        WITH batch AS MATERIALIZED (
            SELECT seq, registered, party_id FROM events
            WHERE seq > @after AND registered >= @floor
            ORDER BY seq LIMIT @max
        ), written AS (
            INSERT INTO holder_events (holder, seq, registered, party_id)
            SELECT DISTINCT r.subject, b.seq, b.registered, b.party_id
            FROM batch b JOIN party_roles r ON r.party_id = b.party_id
            ON CONFLICT DO NOTHING
            RETURNING 1
        ), last AS (
            SELECT seq, registered FROM batch ORDER BY seq DESC LIMIT 1
        ), advanced AS (
            UPDATE holder_index_cursor c SET seq = l.seq, registered = l.registered FROM last l WHERE c.name = 'holders'
            RETURNING c.seq
        )
        SELECT (SELECT count(*) FROM batch)::int AS Events, (SELECT count(*) FROM written)::int AS Rows,
               coalesce((SELECT seq FROM advanced), @after) AS Cursor
        """;

    private const string AnyWithdrawnSql = "SELECT EXISTS (SELECT 1 FROM holder_withdrawals)";

    // One step for the first holder with withdrawn pairs (migration 0017): the pairs with whether a role is held again
    // (read after the cursor lock, so a grant either committed before and is seen, or waits and back-fills after), the
    // next @rows of the holder's rows from the least walked pair without a role, the rows of those pairs in that chunk
    // deleted, and each pair either dropped (held again, or the chunk reached the holder's end) or advanced. A pair
    // withdrawn again after the step's snapshot had its walk reset (walked = 0): `w.walked = p.walked` leaves it so.
    private const string SweepSql = """
        WITH target AS MATERIALIZED (
            SELECT holder FROM holder_withdrawals ORDER BY holder LIMIT 1
        ), pairs AS MATERIALIZED (
            SELECT w.holder, w.party_id, w.walked,
                   EXISTS (SELECT 1 FROM party_roles r WHERE r.subject = w.holder AND r.party_id = w.party_id) AS held
            FROM holder_withdrawals w JOIN target t ON w.holder = t.holder
        ), chunk AS MATERIALIZED (
            SELECT h.seq, h.party_id FROM holder_events h
            WHERE h.holder = (SELECT holder FROM target)
              AND h.seq > (SELECT min(walked) FROM pairs WHERE NOT held)
            ORDER BY h.seq LIMIT @rows
        ), deleted AS (
            DELETE FROM holder_events h USING chunk c, pairs p
            WHERE h.holder = p.holder AND h.seq = c.seq AND c.party_id = p.party_id AND NOT p.held AND c.seq > p.walked
            RETURNING 1
        ), finished AS (
            DELETE FROM holder_withdrawals w USING pairs p
            WHERE w.holder = p.holder AND w.party_id = p.party_id AND w.walked = p.walked
              AND (p.held OR (SELECT count(*) FROM chunk) < @rows)
            RETURNING 1
        ), advanced AS (
            UPDATE holder_withdrawals w SET walked = GREATEST(w.walked, (SELECT max(seq) FROM chunk))
            FROM pairs p
            WHERE w.holder = p.holder AND w.party_id = p.party_id AND w.walked = p.walked
              AND NOT p.held AND (SELECT count(*) FROM chunk) >= @rows
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM pairs)::int AS Pairs, (SELECT count(*) FROM deleted)::int AS Rows,
               (SELECT count(*) FROM finished)::int AS Finished, (SELECT count(*) FROM chunk) >= @rows AS More
        """;

    private const string OldestSql = "SELECT registered FROM events ORDER BY seq LIMIT 1";

    private const string DeleteBeforeSql = """
        DELETE FROM holder_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM holder_events WHERE registered < @before LIMIT 10000))
        """;

    /// <summary>Indexes the next up to <paramref name="max"/> events after the cursor, in one transaction with the cursor's advance.</summary>
    public async Task<HolderIndexResult> IndexNextAsync(int max, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await TakeTurnAsync(connection, transaction, cancellationToken) is not { } turn)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new HolderIndexResult(0, 0, -1, Busy: true);
        }

        var (after, registered) = turn;
        var floor = registered <= DateTime.MinValue.AddDays(1)
            ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)
            : DateTime.SpecifyKind(registered, DateTimeKind.Utc) - Core.Events.StorePosition.ClockMargin;
        var result = await connection.QuerySingleAsync<(int Events, int Rows, long Cursor)>(new CommandDefinition(
            IndexNextSql, new { after, floor, max }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new HolderIndexResult(result.Events, result.Rows, result.Cursor);
    }

    /// <summary>
    /// One step of deleting the rows of withdrawn rights (<c>holder_withdrawals</c>, migration 0017): for the first holder
    /// with withdrawn pairs, the pairs' rows among its next <paramref name="rows"/> index rows, in one transaction that
    /// takes the indexer's turn and the cursor lock, as a batch does. Nothing waiting costs one statement and no lock.
    /// </summary>
    public async Task<HolderSweepResult> DeleteWithdrawnAsync(int rows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(AnyWithdrawnSql, cancellationToken: cancellationToken)))
        {
            return new HolderSweepResult(0, 0, 0, false);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await TakeTurnAsync(connection, transaction, cancellationToken) is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new HolderSweepResult(0, 0, 0, false, Busy: true);
        }

        var result = await connection.QuerySingleAsync<(int Pairs, int Rows, int Finished, bool More)>(new CommandDefinition(
            SweepSql, new { rows }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new HolderSweepResult(result.Pairs, result.Rows, result.Finished, result.More);
    }

    /// <summary>
    /// The indexer's turn, within <paramref name="transaction"/>: the advisory try-lock (null when another instance has it),
    /// then the cursor row locked in a statement of its own, so the statements after it run in snapshots taken after the
    /// lock and see every grant committed before (a grant's back-fill waits for the same row). The cursor it holds.
    /// </summary>
    private static async Task<(long Seq, DateTime Registered)?> TakeTurnAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(TryTurnSql, new { key = TurnLockKey }, transaction, cancellationToken: cancellationToken)))
        {
            return null;
        }

        return await connection.QuerySingleAsync<(long, DateTime)>(new CommandDefinition(LockCursorSql, transaction: transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Deletes the rows of events no longer stored: those registered before the oldest stored event, less the writers'
    /// clock margin (partition maintenance drops whole days; until a day is dropped its rows stay, as its events do).
    /// </summary>
    /// <returns>The rows deleted.</returns>
    public async Task<long> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var oldest = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(OldestSql, cancellationToken: cancellationToken));
        if (oldest is null)
        {
            // No event is stored (or the last expired): left for a round that can tell which rows are old.
            return 0;
        }

        var before = DateTime.SpecifyKind(oldest.Value, DateTimeKind.Utc) - Core.Events.StorePosition.ClockMargin;
        long total = 0;
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(new CommandDefinition(DeleteBeforeSql, new { before }, cancellationToken: cancellationToken));
            total += deleted;
        }
        while (deleted > 0);
        return total;
    }
}
