using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence;
using Dapper;

namespace Altinn.Events.IntegrationTests.Foundation;

public sealed class MigrationRunnerTests
{
    [Fact]
    public async Task Apply_OnEmptyDatabase_AppliesEveryShippedMigrationOnce_AndSecondRunIsNoOp()
    {
        await using var db = new Scoped<EmptyDatabaseFixture>(new EmptyDatabaseFixture());
        await db.Fixture.InitializeAsync();

        var first = await db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None);
        var second = await db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None);

        Assert.Equal(MigrationRunner.Shipped.Select(m => m.Name), first);
        Assert.Empty(second);
        await using var connection = await db.Fixture.DataSource.OpenConnectionAsync();
        var recorded = await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version");
        Assert.Equal(MigrationRunner.Shipped.Select(m => m.Version), recorded);
    }

    [Fact]
    public async Task Apply_FromSeveralInstancesAtOnce_AppliesEachMigrationExactlyOnce()
    {
        await using var db = new Scoped<EmptyDatabaseFixture>(new EmptyDatabaseFixture());
        await db.Fixture.InitializeAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None))));

        Assert.Equal(MigrationRunner.Shipped.Select(m => m.Name), runs.SelectMany(r => r).OrderBy(n => n));
        Assert.Single(runs, r => r.Count > 0);
    }

    [Fact]
    public async Task Apply_WhenAnAppliedMigrationWasEdited_RefusesWithTheMigrationNamed()
    {
        await using var db = new Scoped<EmptyDatabaseFixture>(new EmptyDatabaseFixture());
        await db.Fixture.InitializeAsync();
        await db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None);
        await using (var connection = await db.Fixture.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = @v", new { v = MigrationRunner.Shipped[0].Version });
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None));

        Assert.Contains(MigrationRunner.Shipped[0].Name, error.Message);
    }

    [Fact]
    public async Task Apply_WhenTheDatabaseRanTheSeeding0002_AcceptsItsRewrite_AndRecordsTheNewChecksum()
    {
        // 0002 once seeded test data; its rewrite names that version's checksum in a "replaces" header.
        const string Seeding0002 = "9adcf2ebebdf1ce3dedbfb7475f6bfc33d5af03d37580d62038a4dbf0f2a01dc";
        var rewritten = MigrationRunner.Shipped.Single(m => m.Version == 2);
        Assert.Contains(Seeding0002, rewritten.Replaces);
        await using var db = new Scoped<EmptyDatabaseFixture>(new EmptyDatabaseFixture());
        await db.Fixture.InitializeAsync();
        await db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None);
        await using var connection = await db.Fixture.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = @Seeding0002 WHERE version = 2", new { Seeding0002 });

        var applied = await db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None);

        Assert.Empty(applied);
        Assert.Equal(rewritten.Checksum, await connection.ExecuteScalarAsync<string>("SELECT checksum FROM schema_migrations WHERE version = 2"));
    }

    [Fact]
    public async Task Migration0011_RemovesExactlyWhatTheOld0002Seeded_AndLeavesEverythingElse()
    {
        await using var db = new Scoped<EmptyDatabaseFixture>(new EmptyDatabaseFixture());
        await db.Fixture.InitializeAsync();
        await db.Fixture.NewMigrationRunner().ApplyAsync(CancellationToken.None);
        await using var connection = await db.Fixture.DataSource.OpenConnectionAsync();

        // What a database that ran the old 0002 holds (the same rows as the development seed), plus real data beside it:
        // a party of its own with a role, a role for a seeded party, and a seeded party's row changed since.
        await Persistence.Seed.DevSeed.ApplyAsync(db.Fixture.DataSource, CancellationToken.None);
        await connection.ExecuteAsync(
            """
            INSERT INTO parties (party_id, party_type, name, organisation_number) VALUES (60001, 'organisation', 'Real AS', '999888777');
            INSERT INTO party_roles (subject, party_id, role_code) VALUES ('/user/4242', 60001, 'DAGL'), ('/user/4242', 50006, 'PRIV');
            UPDATE parties SET name = 'Renamed AS' WHERE party_id = 50012;
            """);
        var cleanup = MigrationRunner.Shipped.Single(m => m.Version == 11).Sql;

        await connection.ExecuteAsync(cleanup[cleanup.IndexOf("DELETE FROM party_roles", StringComparison.Ordinal)..]);

        var parties = (await connection.QueryAsync<int>("SELECT party_id FROM parties ORDER BY party_id")).ToList();
        var roles = (await connection.QueryAsync<string>("SELECT subject || ':' || party_id || ':' || role_code FROM party_roles ORDER BY 1")).ToList();
        Assert.Equal([50006, 50012, 60001], parties);
        Assert.Equal(["/user/4242:50006:PRIV", "/user/4242:60001:DAGL"], roles);
    }

    [Fact]
    public void Shipped_MigrationsAreNumberedWithoutGaps()
    {
        Assert.Equal(Enumerable.Range(1, MigrationRunner.Shipped.Count), MigrationRunner.Shipped.Select(m => m.Version));
    }

    private sealed class Scoped<T>(T fixture) : IAsyncDisposable
        where T : IAsyncLifetime
    {
        public T Fixture { get; } = fixture;

        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }
}
