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
