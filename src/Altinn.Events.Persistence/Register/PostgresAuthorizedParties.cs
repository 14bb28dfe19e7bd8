using Altinn.Events.Core.Authorization;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Register;

/// <summary>
/// Who holds rights for which party, from the local <c>party_roles</c> table the embedded PDP decides on: read fresh on
/// every call (an index probe each way), so a role granted or withdrawn counts at the next event.
/// </summary>
internal sealed class PostgresAuthorizedParties(NpgsqlDataSource dataSource) : IAuthorizedParties
{
    private const string HoldersSql = "SELECT DISTINCT party_id AS PartyId, subject AS Subject FROM party_roles WHERE party_id = ANY(@partyIds)";

    private const string PartiesSql = "SELECT DISTINCT party_id FROM party_roles WHERE subject = @consumer ORDER BY party_id";

    private const string SomePartiesSql = "SELECT DISTINCT party_id FROM party_roles WHERE subject = @consumer ORDER BY party_id LIMIT @limit";

    /// <summary>The store's holder index (migration 0016) is built from this table.</summary>
    public bool IndexedByHolder => true;

    public async Task<IReadOnlyDictionary<int, IReadOnlyList<string>>> GetRightHoldersAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken)
    {
        if (partyIds.Count == 0)
        {
            return new Dictionary<int, IReadOnlyList<string>>();
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(int PartyId, string Subject)>(new CommandDefinition(
            HoldersSql, new { partyIds = partyIds.Distinct().ToArray() }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.PartyId).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(r => r.Subject)]);
    }

    public async Task<IReadOnlyList<int>> GetPartiesAsync(string consumer, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<int>(new CommandDefinition(PartiesSql, new { consumer }, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<int>> GetPartiesAsync(string consumer, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<int>(new CommandDefinition(SomePartiesSql, new { consumer, limit }, cancellationToken: cancellationToken))];
    }
}
