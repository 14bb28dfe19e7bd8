using Altinn.Events.Core.Authorization;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Register;

/// <summary>The role codes subjects hold for parties, from the local <c>party_roles</c> table.</summary>
internal sealed class PostgresRoleStore(NpgsqlDataSource dataSource) : IRoleStore
{
    private const string RolesSql = """
        SELECT r.subject AS Subject, r.party_id AS PartyId, r.role_code AS RoleCode
        FROM party_roles r
        JOIN unnest(@subjects, @partyIds) AS q(subject, party_id)
          ON r.subject = q.subject AND r.party_id = q.party_id
        """;

    public async Task<IReadOnlyDictionary<(string Subject, int PartyId), IReadOnlyList<string>>> GetRolesAsync(
        IReadOnlyCollection<(string Subject, int PartyId)> pairs, CancellationToken cancellationToken)
    {
        if (pairs.Count == 0)
        {
            return new Dictionary<(string, int), IReadOnlyList<string>>();
        }

        var distinct = pairs.Distinct().ToArray();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RoleRow>(new CommandDefinition(
            RolesSql,
            new { subjects = distinct.Select(p => p.Subject).ToArray(), partyIds = distinct.Select(p => p.PartyId).ToArray() },
            cancellationToken: cancellationToken));
        return rows
            .GroupBy(r => (r.Subject, r.PartyId))
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(r => r.RoleCode).Distinct(StringComparer.Ordinal)]);
    }

    private sealed record RoleRow(string Subject, int PartyId, string RoleCode);
}
