using Npgsql;

namespace Altinn.Events.Cli.Generators;

/// <summary>
/// The accountant's world for benchmark S9 (issue 19): one accountant (a user) holding REGNA for many client
/// organisations, each client with a DAGL of its own and an auditor (REVI, ten clients each), and subscriptions without a
/// subject filter that cover every party their consumer acts for: the accountant's, each DAGL's and each auditor's to the
/// bench app <see cref="Resource"/>, the rest from users who hold no roles, to the generated apps. The client parties'
/// app events come with the generated events (<see cref="TestDataGenerator.GenerateEventsAsync"/>, a share of them), so
/// sequence and registration time ascend together as in a real store. Spare client parties (<see cref="Spares"/>) have
/// no roles: the propagation runs grant and withdraw them.
/// </summary>
public static class AccountantGenerator
{
    /// <summary>The app the accountant's clients use (a bench policy lets DAGL, REGNA and PRIV read its events).</summary>
    public const string Org = "bench";
    public const string App = "accounts";
    public const string Resource = "urn:altinn:resource:app_bench_accounts";

    /// <summary>The accountant: user 900000001, person party 2999999.</summary>
    public const int AccountantUser = 900_000_001;
    public const int AccountantParty = 2_999_999;

    /// <summary>Client organisations are parties 3000000, 3000001, ...; then the spares.</summary>
    public const int FirstClient = 3_000_000;
    public const int Spares = 100;

    private const string Sql = """
        INSERT INTO parties (party_id, party_type, name, person_number, user_id)
        VALUES (@accountantParty, 'person', 'Bench accountant', '29999999999', @accountantUser) ON CONFLICT DO NOTHING;

        INSERT INTO parties (party_id, party_type, name, organisation_number)
        SELECT @firstClient + i, 'organisation', 'Bench client ' || i, lpad((300000000 + i)::text, 9, '0')
        FROM generate_series(0, @clients + @spares - 1) i ON CONFLICT DO NOTHING;

        INSERT INTO party_roles (subject, party_id, role_code)
        SELECT '/user/' || @accountantUser, @firstClient + i, 'REGNA' FROM generate_series(0, @clients - 1) i
        UNION ALL SELECT '/user/' || (910000000 + i), @firstClient + i, 'DAGL' FROM generate_series(0, @clients - 1) i
        UNION ALL SELECT '/user/' || (920000000 + i / 10), @firstClient + i, 'REVI' FROM generate_series(0, @clients - 1) i
        ON CONFLICT DO NOTHING;

        -- Subscriptions covering every party of their consumer (all_parties, no subject filter), validated.
        INSERT INTO subscriptions (id, consumer, created_by, created, end_point, resource_filter, secret, validation_status, validated_at, all_parties)
        SELECT gen_random_uuid(), c.consumer, c.consumer, now(), 'https://hooks.example.com/s9/' || c.n, c.resource,
               'whsec_Z2VuZXJhdGVkLXN1YnNjcmlwdGlvbi1zZWNyZXQ=', 'validated', now(), true
        FROM (
            SELECT 0 AS n, '/user/' || @accountantUser AS consumer, @resource AS resource
            UNION ALL SELECT 1 + i, '/user/' || (910000000 + i), @resource FROM generate_series(0, @clients - 1) i
            UNION ALL SELECT 1 + @clients + i, '/user/' || (920000000 + i), @resource FROM generate_series(0, (@clients + 9) / 10 - 1) i
            UNION ALL SELECT n, '/user/' || (930000000 + n), format('urn:altinn:resource:app_org%s_app%s', n % 100, (n / 100) % 100)
            FROM generate_series(1 + @clients + (@clients + 9) / 10, @allParty - 1) n
        ) c;

        ANALYZE parties; ANALYZE party_roles; ANALYZE subscriptions;
        """;

    /// <summary>Writes the accountant's world; returns the number of all-party subscriptions made.</summary>
    public static async Task<long> GenerateAsync(NpgsqlDataSource dataSource, int clients, int allParty, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(allParty, 1 + clients + ((clients + 9) / 10));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("accountantParty", AccountantParty);
        command.Parameters.AddWithValue("accountantUser", AccountantUser);
        command.Parameters.AddWithValue("firstClient", FirstClient);
        command.Parameters.AddWithValue("clients", clients);
        command.Parameters.AddWithValue("spares", Spares);
        command.Parameters.AddWithValue("resource", Resource);
        command.Parameters.AddWithValue("allParty", allParty);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return allParty;
    }
}
