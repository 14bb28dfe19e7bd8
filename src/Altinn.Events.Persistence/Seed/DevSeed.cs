using System.Text;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Seed;

/// <summary>
/// The test parties and roles of development and the tests (<c>Seed/dev_seed.sql</c>), applied after the migrations by
/// <c>altinn-events seed</c> (scripts/run.sh, the chaos check) and the integration tests. Never part of the migrations:
/// a database the migration job set up holds no test data, and production reads the platform's register and PDP.
/// </summary>
public static class DevSeed
{
    private const string ResourceName = "Seed.dev_seed.sql";

    private static readonly Lazy<string> Sql = new(() =>
    {
        using var stream = typeof(DevSeed).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>Inserts what is missing of the seed; rows that exist stay as they are.</summary>
    public static async Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql.Value, cancellationToken: cancellationToken));
    }
}
