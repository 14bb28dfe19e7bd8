using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>The data source every host builds from <c>Database:ConnectionString</c>.</summary>
public sealed class DataSourceTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("", true)]
    [InlineData(";No Reset On Close=false", false)]
    [InlineData(";NoResetOnClose=false", false)]
    public async Task ThePoolSkipsItsSessionReset_UnlessTheConnectionStringAsksForIt(string extra, bool skipped)
    {
        await using var provider = HostServices(extra + ";Maximum Pool Size=1");
        var dataSource = provider.GetRequiredService<NpgsqlDataSource>();

        // One physical connection: what a use leaves in the session is there at the next checkout only without the reset.
        await using (var first = await dataSource.OpenConnectionAsync())
        {
            await first.ExecuteAsync("SET application_name = 'left-behind'");
        }

        await using var second = await dataSource.OpenConnectionAsync();
        var name = await second.ExecuteScalarAsync<string>("SHOW application_name");
        Assert.Equal(skipped, name == "left-behind");
    }

    [Theory]
    [InlineData("", "force_generic_plan")]
    [InlineData(";Options=-c statement_timeout=123s", "force_generic_plan")]
    [InlineData(";Options=-c plan_cache_mode=auto", "auto")]
    public async Task PreparedStatementsTakeTheirGenericPlan_UnlessTheConnectionStringSaysOtherwise(string extra, string mode)
    {
        await using var provider = HostServices(extra);
        await using var connection = await provider.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();

        Assert.Equal(mode, await connection.ExecuteScalarAsync<string>("SHOW plan_cache_mode"));
        if (extra.Contains("statement_timeout", StringComparison.Ordinal))
        {
            Assert.Equal("123s", await connection.ExecuteScalarAsync<string>("SHOW statement_timeout"));
        }

        // What the setting is for: a statement over the day partitions, prepared and run more than five times (after
        // which PostgreSQL would otherwise keep choosing custom plans), runs its generic plan from the first execution.
        await connection.ExecuteAsync("PREPARE by_range(timestamptz, timestamptz) AS SELECT count(*) FROM events WHERE registered BETWEEN $1 AND $2");
        for (var i = 0; i < 7; i++)
        {
            await connection.ExecuteAsync("EXECUTE by_range(now() - interval '1 hour', now())");
        }

        var (generic, custom) = await connection.QuerySingleAsync<(long, long)>("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'by_range'");
        await connection.ExecuteAsync("DEALLOCATE by_range");
        if (mode == "force_generic_plan")
        {
            Assert.Equal((7L, 0L), (generic, custom));
        }
        else
        {
            Assert.True(custom >= 5, $"{custom} custom plans: under auto the first five executions are planned afresh");
        }
    }

    // The services a host registers with AddEventsDatabase, from the test database's connection string plus extra.
    private ServiceProvider HostServices(string extra)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Database:ConnectionString"] = database.ConnectionString + extra })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddEventsDatabase();
        return services.BuildServiceProvider();
    }
}
