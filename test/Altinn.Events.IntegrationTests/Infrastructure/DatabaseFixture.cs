using Altinn.Events.Persistence;
using Altinn.Events.Persistence.Seed;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>
/// A database of its own for one test class: created empty, migrated, given the development seed (test parties and
/// roles, as scripts/run.sh does; the migrations hold none), dropped afterwards.
/// </summary>
public class DatabaseFixture : IAsyncLifetime
{
    public string DatabaseName { get; } = "t_" + Guid.NewGuid().ToString("N");

    public string ConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    /// <summary>Whether to apply the migrations on creation (tests of the runner itself start empty).</summary>
    protected virtual bool Migrate => true;

    /// <summary>Whether to apply the development seed after the migrations (tests of production's database leave it out).</summary>
    protected virtual bool Seed => true;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(TestEnvironment.DatabaseAdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(TestEnvironment.DatabaseAdminConnectionString) { Database = DatabaseName }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        if (Migrate)
        {
            await NewMigrationRunner().ApplyAsync(CancellationToken.None);
            if (Seed)
            {
                await DevSeed.ApplyAsync(DataSource, CancellationToken.None);
            }
        }
    }

    public MigrationRunner NewMigrationRunner() => new(DataSource, NullLogger<MigrationRunner>.Instance);

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestEnvironment.DatabaseAdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", admin);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 50)
            {
                // FORCE terminates only backends the (non-superuser) test role may signal; an autovacuum worker busy in
                // the database has no role (PostgreSQL 15 refuses with 42501), so wait for it to finish.
                await Task.Delay(100);
            }
        }
    }
}

/// <summary>An empty database, for tests of the migration runner.</summary>
public sealed class EmptyDatabaseFixture : DatabaseFixture
{
    protected override bool Migrate => false;
}

/// <summary>A database as the migration job leaves it in production: migrated, without the development seed.</summary>
public sealed class ProductionDatabaseFixture : DatabaseFixture
{
    protected override bool Seed => false;
}
