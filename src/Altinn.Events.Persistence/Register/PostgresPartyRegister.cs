using Altinn.Events.Core.Register;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Register;

/// <summary>The party register over the local <c>parties</c> table: one query per call, whatever the batch size.</summary>
internal sealed class PostgresPartyRegister(NpgsqlDataSource dataSource) : IPartyRegister
{
    private const string Columns = """
        party_id AS PartyId, party_type AS PartyType, name AS Name, person_number AS PersonNumber,
        organisation_number AS OrganisationNumber, main_unit_party_id AS MainUnitPartyId
        """;

    private const string ByPersonNumbers = $"SELECT {Columns} FROM parties WHERE person_number = ANY(@keys)";
    private const string ByOrganisationNumbers = $"SELECT {Columns} FROM parties WHERE organisation_number = ANY(@keys)";
    private const string ByPartyIds = $"SELECT {Columns} FROM parties WHERE party_id = ANY(@keys)";
    private const string Subunits = "SELECT main_unit_party_id AS MainUnit, party_id AS Subunit FROM parties WHERE main_unit_party_id = ANY(@keys) ORDER BY party_id";
    private const string MainUnits = "SELECT main_unit_party_id AS MainUnit, party_id AS Subunit FROM parties WHERE party_id = ANY(@keys) AND main_unit_party_id IS NOT NULL";

    public async Task<IReadOnlyDictionary<string, Party>> FindByPersonNumbersAsync(IReadOnlyCollection<string> personNumbers, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<PartyRow, string>(ByPersonNumbers, personNumbers.Distinct().ToArray(), cancellationToken);
        return rows.ToDictionary(r => r.PersonNumber!, r => r.ToParty(), StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<string, Party>> FindByOrganisationNumbersAsync(IReadOnlyCollection<string> organisationNumbers, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<PartyRow, string>(ByOrganisationNumbers, organisationNumbers.Distinct().ToArray(), cancellationToken);
        return rows.ToDictionary(r => r.OrganisationNumber!, r => r.ToParty(), StringComparer.Ordinal);
    }

    public async Task<IReadOnlyDictionary<int, Party>> GetByPartyIdsAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<PartyRow, int>(ByPartyIds, partyIds.Distinct().ToArray(), cancellationToken);
        return rows.ToDictionary(r => r.PartyId, r => r.ToParty());
    }

    public async Task<IReadOnlyDictionary<int, IReadOnlyList<int>>> GetSubunitsAsync(IReadOnlyCollection<int> mainUnitPartyIds, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<UnitRow, int>(Subunits, mainUnitPartyIds.Distinct().ToArray(), cancellationToken);
        return rows.GroupBy(r => r.MainUnit).ToDictionary(g => g.Key, g => (IReadOnlyList<int>)[.. g.Select(r => r.Subunit)]);
    }

    public async Task<IReadOnlyDictionary<int, int>> GetMainUnitsAsync(IReadOnlyCollection<int> subunitPartyIds, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<UnitRow, int>(MainUnits, subunitPartyIds.Distinct().ToArray(), cancellationToken);
        return rows.ToDictionary(r => r.Subunit, r => r.MainUnit);
    }

    private async Task<IEnumerable<T>> QueryAsync<T, TKey>(string sql, TKey[] keys, CancellationToken cancellationToken)
    {
        if (keys.Length == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QueryAsync<T>(new CommandDefinition(sql, new { keys }, cancellationToken: cancellationToken));
    }

    private sealed record PartyRow(int PartyId, string PartyType, string Name, string? PersonNumber, string? OrganisationNumber, int? MainUnitPartyId)
    {
        public Party ToParty() => new(
            PartyId,
            PartyType == "person" ? Core.Register.PartyType.Person : Core.Register.PartyType.Organisation,
            Name,
            PersonNumber,
            OrganisationNumber,
            MainUnitPartyId);
    }

    private sealed record UnitRow(int MainUnit, int Subunit);
}
