using Dapper;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>
/// Parties and roles of a test's own, in the local register and role tables the embedded register and PDP read: ids drawn
/// at random from a range the development seed does not use, so tests running in parallel never share a party.
/// </summary>
public sealed class TestParties(NpgsqlDataSource dataSource)
{
    private static int _next = 1_000_000 + Random.Shared.Next(0, 500_000) * 16;

    /// <summary>A fresh party or user id.</summary>
    public static int NextId() => Interlocked.Increment(ref _next);

    /// <summary>A fresh organisation (a main unit, or a subunit of <paramref name="mainUnit"/>).</summary>
    public async Task<int> OrganisationAsync(int? mainUnit = null)
    {
        var id = NextId();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO parties (party_id, party_type, name, organisation_number, main_unit_party_id) VALUES (@id, 'organisation', 'Test org', @number, @mainUnit)",
            new { id, number = (100_000_000 + id % 900_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture), mainUnit });
        return id;
    }

    /// <summary>A fresh person, with a user id when <paramref name="userId"/> is given.</summary>
    public async Task<int> PersonAsync(int? userId = null)
    {
        var id = NextId();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO parties (party_id, party_type, name, person_number, user_id) VALUES (@id, 'person', 'Test person', @number, @userId)",
            new { id, number = (10_000_000_000L + id).ToString(System.Globalization.CultureInfo.InvariantCulture), userId });
        return id;
    }

    public async Task GrantAsync(string subject, int partyId, string roleCode)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO party_roles (subject, party_id, role_code) VALUES (@subject, @partyId, @roleCode) ON CONFLICT DO NOTHING", new { subject, partyId, roleCode });
    }

    public async Task WithdrawAsync(string subject, int partyId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("DELETE FROM party_roles WHERE subject = @subject AND party_id = @partyId", new { subject, partyId });
    }
}
