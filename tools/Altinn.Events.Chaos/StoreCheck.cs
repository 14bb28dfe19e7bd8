using Azure;
using Azure.Storage.Queues;
using Npgsql;

namespace Altinn.Events.Chaos;

/// <summary>What PostgreSQL and the queues say at the end of a run.</summary>
internal sealed class StoreResult
{
    /// <summary>Rows in <c>events</c> per event id of this run.</summary>
    public Dictionary<string, int> Stored { get; } = new(StringComparer.Ordinal);

    /// <summary>Acknowledged events never pushed, by what the store says about them.</summary>
    public Dictionary<string, int> NotDeliveredByState { get; } = new(StringComparer.Ordinal);

    /// <summary>A few not-delivered events with their state, to start digging from.</summary>
    public List<string> NotDeliveredSamples { get; } = [];

    /// <summary>The subscription's deliveries by status.</summary>
    public Dictionary<string, long> Deliveries { get; } = new(StringComparer.Ordinal);

    /// <summary>Deliveries that <c>delivery_attempts</c> records as delivered more than once.</summary>
    public long DeliveredTwice { get; set; } = -1;

    public long OutboxRows { get; set; } = -1;

    /// <summary>Approximate message count per queue.</summary>
    public Dictionary<string, long> Queues { get; } = new(StringComparer.Ordinal);

    /// <summary>The first messages of the non-empty poison queues (truncated).</summary>
    public List<string> PoisonSamples { get; } = [];

    public List<string> Errors { get; } = [];
}

/// <summary>Checks the store with SQL (every acknowledged event stored once? what became of the undelivered ones?) and reads the queue depths.</summary>
internal static class StoreCheck
{
    private const string StoredSql = "SELECT id, count(*)::int FROM events WHERE id LIKE @prefix || '%' GROUP BY id";

    private const string NotDeliveredSql = """
        SELECT e.id, o.seq IS NOT NULL AS in_outbox, d.status, d.attempts
        FROM events e
        LEFT JOIN outbox o ON o.seq = e.seq
        LEFT JOIN deliveries d ON d.event_seq = e.seq AND d.event_registered = e.registered AND d.subscription_id = @subscription
        WHERE e.id = ANY(@ids)
        """;

    private const string DeliveriesSql = "SELECT status, count(*) FROM deliveries WHERE subscription_id = @subscription GROUP BY status";

    private const string DeliveredTwiceSql = """
        SELECT count(*) FROM (
            SELECT 1 FROM delivery_attempts WHERE subscription_id = @subscription AND outcome = 'delivered'
            GROUP BY event_seq, event_registered HAVING count(*) > 1) twice
        """;

    private const string OutboxSql = "SELECT count(*) FROM outbox";

    public static async Task<StoreResult> RunAsync(string database, string queues, string prefix, string subscription, IReadOnlyList<string> notDelivered, CancellationToken cancellationToken)
    {
        var result = new StoreResult();
        var subscriptionId = Guid.Parse(subscription);
        try
        {
            await using var connection = new NpgsqlConnection(database + ";Pooling=false;Timeout=15;Command Timeout=120");
            await connection.OpenAsync(cancellationToken);
            await QueryAsync(connection, StoredSql, c => c.Parameters.AddWithValue("prefix", prefix), r => result.Stored[r.GetString(0)] = r.GetInt32(1), result, cancellationToken);
            await QueryAsync(connection, NotDeliveredSql, c =>
            {
                c.Parameters.AddWithValue("subscription", subscriptionId);
                c.Parameters.AddWithValue("ids", notDelivered.ToArray());
            }, r =>
            {
                var state = r.GetBoolean(1) ? "still in the outbox"
                    : r.IsDBNull(2) ? "relayed from the outbox, no delivery recorded (never matched)"
                    : $"delivery '{r.GetString(2)}'" + (r.GetInt32(3) == 0 ? ", never attempted" : $", {r.GetInt32(3)} attempts");
                result.NotDeliveredByState[state] = result.NotDeliveredByState.GetValueOrDefault(state) + 1;
                if (result.NotDeliveredSamples.Count < 5)
                {
                    result.NotDeliveredSamples.Add($"{r.GetString(0)}: {state}");
                }
            }, result, cancellationToken);
            await QueryAsync(connection, DeliveriesSql, c => c.Parameters.AddWithValue("subscription", subscriptionId), r => result.Deliveries[r.GetString(0)] = r.GetInt64(1), result, cancellationToken);
            await QueryAsync(connection, DeliveredTwiceSql, c => c.Parameters.AddWithValue("subscription", subscriptionId), r => result.DeliveredTwice = r.GetInt64(0), result, cancellationToken);
            await QueryAsync(connection, OutboxSql, _ => { }, r => result.OutboxRows = r.GetInt64(0), result, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            result.Errors.Add("PostgreSQL: " + ex.Message);
        }

        var ids = new HashSet<string>(notDelivered, StringComparer.Ordinal);
        var unstored = ids.Count(id => !result.Stored.ContainsKey(id));
        if (unstored > 0)
        {
            result.NotDeliveredByState["not in the events table"] = unstored;
        }

        try
        {
            var service = new QueueServiceClient(queues);
            await foreach (var queue in service.GetQueuesAsync(cancellationToken: cancellationToken))
            {
                var client = service.GetQueueClient(queue.Name);
                var properties = await client.GetPropertiesAsync(cancellationToken);
                result.Queues[queue.Name] = properties.Value.ApproximateMessagesCount;
                if (queue.Name.EndsWith("-poison", StringComparison.Ordinal) && properties.Value.ApproximateMessagesCount > 0)
                {
                    foreach (var message in (await client.PeekMessagesAsync(3, cancellationToken)).Value)
                    {
                        var text = message.Body.ToString();
                        result.PoisonSamples.Add($"{queue.Name}: {(text.Length > 300 ? text[..300] + "..." : text)}");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException)
        {
            result.Errors.Add("queues: " + ex.Message);
        }

        return result;
    }

    private static async Task QueryAsync(NpgsqlConnection connection, string sql, Action<NpgsqlCommand> parameters, Action<NpgsqlDataReader> row, StoreResult result, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            parameters(command);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                row(reader);
            }
        }
        catch (PostgresException ex)
        {
            // The schema moves on main; a query that no longer fits is reported, not fatal.
            result.Errors.Add($"{ex.MessageText} in: {sql.Split('\n')[0].Trim()}");
        }
    }
}
